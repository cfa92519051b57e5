using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;

namespace BotRouter.Azure;

/// <summary>One message that exhausted its retries.</summary>
public sealed record PoisonMessage(string Queue, string Id, string? ChatId, DateTimeOffset? FirstAttemptUtc, DateTimeOffset? LastAttemptUtc, long DequeueCount, string? LastError);

public sealed record HealthReport(bool Healthy, IReadOnlyDictionary<string, string> Dependencies);

/// <summary>Operator views of storage: health, and the poison queues (list and replay).</summary>
public sealed class OperationsStore(QueueServiceClient queues, TableServiceClient tables, IChatStore chats)
{
    public static readonly IReadOnlyList<string> WorkQueues = [StorageNames.InboundQueue];

    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var results = new Dictionary<string, string>();
        await Probe(results, "queues", () => queues.GetQueueClient(StorageNames.InboundQueue).GetPropertiesAsync(cancellationToken));
        await Probe(results, "tables", async () =>
        {
            await foreach (var _ in tables.GetTableClient(StorageNames.ChatsTable).QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken))
            {
                break;
            }
        });
        return new HealthReport(results.Values.All(v => v == "ok"), results);
    }

    public Task<IReadOnlyList<PoisonMessage>> ListPoisonAsync(CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("list poison messages", () => ListAsync(cancellationToken));

    /// <summary>Moves poison messages back to their queue; the chat's dedupe and outbox make a replay safe.</summary>
    public Task<int> ReplayAsync(string? queue, IReadOnlySet<string>? ids, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("replay poison messages", () => MoveBackAsync(queue, ids, cancellationToken));

    private async Task<IReadOnlyList<PoisonMessage>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<PoisonMessage>();
        foreach (var queue in WorkQueues)
        {
            var poison = queues.GetQueueClient(queue + StorageNames.PoisonSuffix);
            if (!await poison.ExistsAsync(cancellationToken))
            {
                continue;
            }

            var peeked = await poison.PeekMessagesAsync(32, cancellationToken);
            foreach (var m in peeked.Value)
            {
                // The queue keeps only the signal; why it failed, since when and how often is noted on the chat.
                var chatId = ChatIdOf(m.Body);
                var failure = chatId is not { } id ? null : (await chats.GetAsync(id, cancellationToken))?.LastFailure;
                list.Add(failure is null
                    ? new PoisonMessage(queue, m.MessageId, chatId?.ToString(), m.InsertedOn, m.InsertedOn, m.DequeueCount, null)
                    : new PoisonMessage(queue, m.MessageId, chatId?.ToString(), failure.FirstUtc, failure.LastUtc, failure.Attempts, failure.Error));
            }
        }

        return list;
    }

    private async Task<int> MoveBackAsync(string? queue, IReadOnlySet<string>? ids, CancellationToken cancellationToken)
    {
        var replayed = 0;
        foreach (var name in WorkQueues.Where(q => queue is null || q == queue))
        {
            var poison = queues.GetQueueClient(name + StorageNames.PoisonSuffix);
            var target = queues.GetQueueClient(name);
            if (!await poison.ExistsAsync(cancellationToken))
            {
                continue;
            }

            while (true)
            {
                var batch = await poison.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), cancellationToken);
                if (batch.Value.Length == 0)
                {
                    break;
                }

                var any = false;
                foreach (var message in batch.Value)
                {
                    if (ids is not null && !ids.Contains(message.MessageId))
                    {
                        // Not asked for: make it visible again right away.
                        await poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken);
                        continue;
                    }

                    // Marked as a replay, so a chat parked on a refused call tries that call again.
                    await target.SendMessageAsync(Replayed(message.Body), cancellationToken: cancellationToken);
                    await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                    replayed++;
                    any = true;
                }

                if (!any)
                {
                    break;
                }
            }
        }

        return replayed;
    }

    private static ChatId? ChatIdOf(BinaryData body) =>
        Signal(body) is { } signal && ChatId.TryParse(signal.ChatId, out var chatId) ? chatId : null;

    private static string Replayed(BinaryData body) =>
        Signal(body) is { } signal
            ? JsonSerializer.Serialize(signal with { Replay = true }, CoreJson.Default.QueueSignal)
            : body.ToString();

    private static QueueSignal? Signal(BinaryData body)
    {
        try
        {
            return JsonSerializer.Deserialize(body.ToString(), CoreJson.Default.QueueSignal);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task Probe(Dictionary<string, string> results, string name, Func<Task> probe)
    {
        try
        {
            await probe();
            results[name] = "ok";
        }
        catch (Exception e) when (e is global::Azure.RequestFailedException or AggregateException or HttpRequestException or TaskCanceledException)
        {
            results[name] = $"unavailable: {e.GetType().Name}";
        }
    }
}
