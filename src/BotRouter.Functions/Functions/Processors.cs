using System.Text.Json;
using BotRouter.Azure;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;
using BotRouter.Core.Processing;
using Microsoft.Azure.Functions.Worker;

namespace BotRouter.Functions.Functions;

/// <summary>The queue-triggered side: each message says "this chat has work"; the work waits in storage.</summary>
public sealed class Processors(InboundProcessor inbound, RouterCommandProcessor routerCommands)
{
    [Function("InboundProcessor")]
    public Task Inbound(
        [QueueTrigger(StorageNames.InboundQueue, Connection = StorageNames.Connection)] string message,
        CancellationToken cancellationToken)
    {
        var signal = Parse(message);
        return inbound.ProcessAsync(signal.ChatId, signal.TraceParent, cancellationToken);
    }

    [Function("RouterCommandProcessor")]
    public Task RouterCommands(
        [QueueTrigger(StorageNames.RouterCommandsQueue, Connection = StorageNames.Connection)] string message,
        CancellationToken cancellationToken)
    {
        var signal = Parse(message);
        return routerCommands.ProcessAsync(signal.ChatId, signal.TraceParent, cancellationToken);
    }

    /// <summary>A signal that is not ours fails loudly; after the retries it waits in the poison queue for an operator.</summary>
    internal static QueueSignal Parse(string message)
    {
        var signal = JsonSerializer.Deserialize(message, CoreJson.Default.QueueSignal);
        return WebhookIntake.NormalizeChatId(signal?.ChatId) is { } chatId
            ? signal! with { ChatId = chatId }
            : throw new InvalidDataException("The queue message does not name a chat (expected {\"chatId\":\"<guid>\"}).");
    }
}
