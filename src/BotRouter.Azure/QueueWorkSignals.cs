using System.Text.Json;
using Azure.Storage.Queues;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;

namespace BotRouter.Azure;

/// <summary>Signals through Storage Queues. The client encodes base64, as the Functions queue trigger expects by default.</summary>
public sealed class QueueWorkSignals(QueueServiceClient queues) : IWorkSignals
{
    private readonly QueueClient inbound = queues.GetQueueClient(StorageNames.InboundQueue);
    private readonly QueueClient routerCommands = queues.GetQueueClient(StorageNames.RouterCommandsQueue);

    public Task PoisonAsync(WorkStage queue, string chatId, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("park a signal in the poison queue", () =>
        {
            var poison = queues.GetQueueClient(StorageNames.QueueOf(queue) + StorageNames.PoisonSuffix);
            return poison.SendMessageAsync(JsonSerializer.Serialize(new QueueSignal(chatId), CoreJson.Default.QueueSignal), cancellationToken: cancellationToken);
        });

    public Task SignalAsync(WorkStage queue, string chatId, TimeSpan delay, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("queue a signal", () =>
        {
            var client = queue == WorkStage.Inbound ? inbound : routerCommands;
            var body = JsonSerializer.Serialize(new QueueSignal(chatId, System.Diagnostics.Activity.Current?.Id), CoreJson.Default.QueueSignal);
            return client.SendMessageAsync(body, delay > TimeSpan.Zero ? delay : null, cancellationToken: cancellationToken);
        });
}
