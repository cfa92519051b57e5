using System.Text.Json;
using BotRouter.Azure;
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
        CancellationToken cancellationToken) =>
        inbound.ProcessAsync(ChatIdOf(message), cancellationToken);

    [Function("RouterCommandProcessor")]
    public Task RouterCommands(
        [QueueTrigger(StorageNames.RouterCommandsQueue, Connection = StorageNames.Connection)] string message,
        CancellationToken cancellationToken) =>
        routerCommands.ProcessAsync(ChatIdOf(message), cancellationToken);

    /// <summary>A signal that is not ours fails loudly; after the retries it waits in the poison queue for an operator.</summary>
    internal static string ChatIdOf(string message) =>
        WebhookIntake.NormalizeChatId(JsonSerializer.Deserialize(message, CoreJson.Default.QueueSignal)?.ChatId)
        ?? throw new InvalidDataException("The queue message does not name a chat (expected {\"chatId\":\"<guid>\"}).");
}
