using System.Text.Json;
using Azure.Storage.Queues;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;

namespace BotRouter.Azure;

/// <summary>Signals through Storage Queues. The client encodes base64, as the Functions queue trigger expects by default.</summary>
public sealed class QueueWorkSignals(QueueServiceClient queues) : IWorkSignals
{
    private readonly QueueClient inbound = queues.GetQueueClient(StorageNames.InboundQueue);
    private readonly QueueClient poison = queues.GetQueueClient(StorageNames.InboundQueue + StorageNames.PoisonSuffix);

    public Task PoisonAsync(ChatId chatId, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("park a signal in the poison queue", () =>
            poison.SendMessageAsync(Body(chatId), cancellationToken: cancellationToken));

    public Task SignalAsync(ChatId chatId, TimeSpan delay, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("queue a signal", () =>
            inbound.SendMessageAsync(Body(chatId), delay > TimeSpan.Zero ? delay : null, cancellationToken: cancellationToken));

    /// <summary>The signal's JSON; it carries the current trace, so processing continues the webhook's trace.</summary>
    public static string Body(ChatId chatId) =>
        JsonSerializer.Serialize(new QueueSignal(chatId.ToString(), System.Diagnostics.Activity.Current?.Id), CoreJson.Default.QueueSignal);
}
