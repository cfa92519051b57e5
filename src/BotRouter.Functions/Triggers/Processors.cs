using BotRouter.Azure;
using BotRouter.Core.Chats;
using BotRouter.Core.Processing;
using Microsoft.Azure.Functions.Worker;

namespace BotRouter.Functions.Triggers;

/// <summary>The queue-triggered side: each message says "this chat has work"; the work waits in storage.</summary>
public sealed class Processors(ChatProcessor processor)
{
    [Function(nameof(ChatProcessor))]
    public Task Process(
        [QueueTrigger(StorageNames.InboundQueue, Connection = StorageNames.Connection)] QueueSignal signal,
        CancellationToken cancellationToken) =>
        processor.ProcessAsync(ChatOf(signal), signal.Replay, signal.TraceParent, cancellationToken);

    /// <summary>A signal that is not ours fails loudly; after the retries it waits in the poison queue for an operator.</summary>
    internal static ChatId ChatOf(QueueSignal? signal) =>
        ChatId.TryParse(signal?.ChatId, out var chatId)
            ? chatId
            : throw new InvalidDataException("The queue message does not name a chat (expected {\"chatId\":\"<guid>\"}).");
}
