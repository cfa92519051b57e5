using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;

namespace BotRouter.Azure;

/// <summary>
/// The poison queue, for operators: list (all of it, paged, optionally for one chat) and replay. A queue can
/// only be peeked 32 messages deep, so both walk it: each message is hidden while the walk goes on (so the
/// next batch brings new ones) and made visible again at the end. Nothing reads the poison queue but this.
/// </summary>
public sealed class PoisonedMessages(QueueServiceClient queues, IChatStore chats)
{
    public const int MaxPageSize = 100;

    /// <summary>How long a walked message stays hidden if the walk dies before it puts it back.</summary>
    private static readonly TimeSpan WalkHide = TimeSpan.FromSeconds(60);

    public static readonly IReadOnlyList<string> WorkQueues = [StorageNames.InboundQueue];

    /// <summary>Poison messages ordered by when they were poisoned; <paramref name="continuationToken"/> continues after the last one shown.</summary>
    public Task<PoisonPage> ListAsync(ChatId? chatId, string? continuationToken, int pageSize, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("list poison messages", async () =>
        {
            var after = Decode(continuationToken);
            var all = new List<(QueueMessage Message, string Queue, ChatId? ChatId)>();
            foreach (var queue in WorkQueues)
            {
                await WalkAsync(queue, m =>
                {
                    var chat = ChatIdOf(m.Body);
                    if (chatId is null || chat == chatId)
                    {
                        all.Add((m, queue, chat));
                    }

                    return Task.FromResult(false);
                }, cancellationToken);
            }

            var ordered = all
                .OrderBy(x => x.Message.InsertedOn)
                .ThenBy(x => x.Message.MessageId, StringComparer.Ordinal)
                .Where(x => after is null || (x.Message.InsertedOn, x.Message.MessageId).CompareTo(after.Value) > 0)
                .ToList();
            var page = new List<PoisonMessage>();
            foreach (var (m, queue, chat) in ordered.Take(pageSize))
            {
                // The queue keeps only the signal; why it failed, since when and how often is noted on the chat.
                var failure = chat is not { } id ? null : (await chats.GetAsync(id, cancellationToken))?.LastFailure;
                page.Add(failure is null
                    ? new PoisonMessage(queue, m.MessageId, chat?.ToString(), m.InsertedOn, m.InsertedOn, m.DequeueCount, null)
                    : new PoisonMessage(queue, m.MessageId, chat?.ToString(), failure.FirstUtc, failure.LastUtc, failure.Attempts, failure.Error));
            }

            var next = ordered.Count > pageSize ? Encode(ordered[pageSize - 1].Message) : null;
            return new PoisonPage(page, next);
        });

    /// <summary>Moves poison messages back to their queue, marked as a replay; the chat's dedupe and outbox make a replay safe.</summary>
    public Task<int> ReplayAsync(string? queue, IReadOnlySet<string>? ids, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("replay poison messages", async () =>
        {
            var replayed = 0;
            foreach (var name in WorkQueues.Where(q => queue is null || q == queue))
            {
                var poison = queues.GetQueueClient(name + StorageNames.PoisonSuffix);
                var target = queues.GetQueueClient(name);
                await WalkAsync(name, async message =>
                {
                    if (ids is not null && !ids.Contains(message.MessageId))
                    {
                        return false;
                    }

                    // Marked as a replay, so a chat parked on a refused call tries that call again.
                    await target.SendMessageAsync(Replayed(message.Body), cancellationToken: cancellationToken);
                    await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                    replayed++;
                    return true;
                }, cancellationToken);
            }

            return replayed;
        });

    /// <summary>Visits every message of the queue's poison queue once; those the visitor does not consume are made visible again.</summary>
    private async Task WalkAsync(string queue, Func<QueueMessage, Task<bool>> visit, CancellationToken cancellationToken)
    {
        var poison = queues.GetQueueClient(queue + StorageNames.PoisonSuffix);
        if (!await poison.ExistsAsync(cancellationToken))
        {
            return;
        }

        var seen = new List<QueueMessage>();
        try
        {
            while (true)
            {
                var batch = await poison.ReceiveMessagesAsync(32, WalkHide, cancellationToken);
                if (batch.Value.Length == 0)
                {
                    break;
                }

                foreach (var message in batch.Value)
                {
                    if (!await visit(message))
                    {
                        seen.Add(message);
                    }
                }
            }
        }
        finally
        {
            foreach (var message in seen)
            {
                await poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None);
            }
        }
    }

    private static string Encode(QueueMessage m) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{m.InsertedOn?.UtcTicks ?? 0}:{m.MessageId}"));

    private static (DateTimeOffset?, string)? Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return (new DateTimeOffset(long.Parse(text[..colon], CultureInfo.InvariantCulture), TimeSpan.Zero), text[(colon + 1)..]);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or OverflowException)
        {
            throw new InvalidContinuationTokenException(e);
        }
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
}
