using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;
using BotRouter.Core.Routing;

namespace BotRouter.Azure;

/// <summary>
/// Chats in Table Storage, one partition per chat: the state row (with the lease and ETag), inbox rows
/// keyed by arrival, outbox rows keyed by a sequence, and one dedupe row per CM reference. Keeping a chat
/// in one partition lets every commit be a single entity-group transaction.
/// </summary>
public sealed class TableChatStore(TableServiceClient tables, BlobServiceClient blobs, TimeProvider time) : IChatStore
{
    private const string StateKey = "state";
    private const string InboxPrefix = "in-";
    private const string OutboxPrefix = "out-";
    private const string DedupePrefix = "ref-";

    /// <summary>Table string properties hold 64 KiB (32K UTF-16 chars); larger payloads go to Blob storage.</summary>
    internal const int MaxInlinePayloadChars = 30_000;

    private readonly TableClient table = tables.GetTableClient(StorageNames.ChatsTable);
    private readonly BlobContainerClient payloads = blobs.GetBlobContainerClient(StorageNames.PayloadsContainer);

    public Task<bool> AppendAsync(string chatId, InboxItem item, string? dedupeKey, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("append to the inbox", async () =>
        {
            var entity = new TableEntity(chatId, InboxPrefix + item.Key)
            {
                ["Kind"] = item.Kind.ToString(),
                ["ReceivedUtc"] = item.ReceivedUtc,
            };
            if (item.Payload.Length <= MaxInlinePayloadChars)
            {
                entity["Payload"] = item.Payload;
            }
            else
            {
                var blobName = $"{chatId}/{item.Key}.json";
                await payloads.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(item.Payload), overwrite: true, cancellationToken);
                entity["PayloadBlob"] = blobName;
            }

            if (dedupeKey is null)
            {
                await table.AddEntityAsync(entity, cancellationToken);
                return true;
            }

            var marker = new TableEntity(chatId, DedupePrefix + Hash(dedupeKey)) { ["ReceivedUtc"] = item.ReceivedUtc };
            try
            {
                await table.SubmitTransactionAsync(
                    [new TableTransactionAction(TableTransactionActionType.Add, marker), new TableTransactionAction(TableTransactionActionType.Add, entity)],
                    cancellationToken);
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status == 409)
            {
                return false;
            }
        });

    public Task<ChatState?> GetAsync(string chatId, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("read a chat", async () =>
        {
            var response = await table.GetEntityIfExistsAsync<TableEntity>(chatId, StateKey, cancellationToken: cancellationToken);
            return response.HasValue ? ToState(response.Value!) : null;
        });

    public Task<LeaseAttempt> TryAcquireAsync(string chatId, string owner, TimeSpan duration, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("take a chat's lease", async () =>
        {
            var now = time.GetUtcNow();
            var existing = await table.GetEntityIfExistsAsync<TableEntity>(chatId, StateKey, cancellationToken: cancellationToken);
            if (!existing.HasValue)
            {
                var state = ChatState.New(chatId, now);
                var entity = ToEntity(state, owner, now + duration, 0);
                try
                {
                    var created = await table.AddEntityAsync(entity, cancellationToken);
                    return new LeaseAttempt(new ChatLease(chatId, owner, state, created.Headers.ETag!.Value.ToString()), TimeSpan.Zero);
                }
                catch (RequestFailedException e) when (e.Status == 409)
                {
                    return LeaseAttempt.Held(TimeSpan.Zero);
                }
            }

            var row = existing.Value!;
            var until = new DateTimeOffset(row.GetInt64("LeaseUntilTicks") ?? 0, TimeSpan.Zero);
            var holder = row.GetString("LeaseOwner");
            if (!string.IsNullOrEmpty(holder) && until > now)
            {
                return LeaseAttempt.Held(until - now);
            }

            var take = new TableEntity(chatId, StateKey) { ["LeaseOwner"] = owner, ["LeaseUntilTicks"] = (now + duration).UtcTicks };
            try
            {
                var updated = await table.UpdateEntityAsync(take, row.ETag, TableUpdateMode.Merge, cancellationToken);
                return new LeaseAttempt(
                    new ChatLease(chatId, owner, ToState(row), updated.Headers.ETag!.Value.ToString()) { NextCallSequence = row.GetInt64("NextCallSeq") ?? 0 },
                    TimeSpan.Zero);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                return LeaseAttempt.Held(TimeSpan.Zero);
            }
        });

    public Task<IReadOnlyList<InboxItem>> ReadInboxAsync(ChatLease lease, int max, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("read the inbox", async () =>
        {
            var items = new List<InboxItem>();
            await foreach (var row in Range(lease.ChatId, InboxPrefix, max, cancellationToken))
            {
                var payload = row.GetString("Payload");
                var blobName = row.GetString("PayloadBlob");
                if (payload is null && blobName is not null)
                {
                    var content = await payloads.GetBlobClient(blobName).DownloadContentAsync(cancellationToken);
                    payload = content.Value.Content.ToString();
                }

                items.Add(new InboxItem(
                    row.RowKey[InboxPrefix.Length..],
                    Enum.Parse<InboxKind>(row.GetString("Kind")!),
                    payload ?? string.Empty,
                    row.GetDateTimeOffset("ReceivedUtc") ?? row.Timestamp ?? time.GetUtcNow())
                {
                    PayloadBlob = blobName,
                });
            }

            return (IReadOnlyList<InboxItem>)items;
        });

    public Task<IReadOnlyList<RouterCall>> ReadOutboxAsync(ChatLease lease, int max, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("read the outbox", async () =>
        {
            var calls = new List<RouterCall>();
            await foreach (var row in Range(lease.ChatId, OutboxPrefix, max, cancellationToken))
            {
                var callId = row.GetString("CallId")!;
                lease.OutboxKeys[callId] = row.RowKey;
                calls.Add(new RouterCall(
                    callId,
                    Enum.Parse<RouterCallKind>(row.GetString("Kind")!),
                    row.GetString("Body"),
                    row.GetInt64("Epoch") ?? 0,
                    row.GetString("Summary") ?? string.Empty));
            }

            return (IReadOnlyList<RouterCall>)calls;
        });

    public Task CommitTurnAsync(ChatLease lease, ChatState state, InboxItem handled, IReadOnlyList<RouterCall> calls, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("commit a chat turn", async () =>
        {
            var sequence = lease.NextCallSequence;
            var actions = new List<TableTransactionAction>
            {
                new(TableTransactionActionType.Delete, new TableEntity(lease.ChatId, InboxPrefix + handled.Key), ETag.All),
            };
            foreach (var call in calls)
            {
                actions.Add(new(TableTransactionActionType.Add, new TableEntity(lease.ChatId, $"{OutboxPrefix}{sequence++:D19}")
                {
                    ["CallId"] = call.Id,
                    ["Kind"] = call.Kind.ToString(),
                    ["Body"] = call.Body,
                    ["Epoch"] = call.Epoch,
                    ["Summary"] = call.Summary,
                }));
            }

            await CommitAsync(lease, state, sequence, actions, cancellationToken);
            if (handled.PayloadBlob is { } blob)
            {
                await payloads.GetBlobClient(blob).DeleteIfExistsAsync(cancellationToken: cancellationToken);
            }
        });

    public Task CommitCallAsync(ChatLease lease, ChatState state, RouterCall done, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("commit a router call", async () =>
        {
            var actions = new List<TableTransactionAction>();
            if (lease.OutboxKeys.Remove(done.Id, out var rowKey))
            {
                actions.Add(new(TableTransactionActionType.Delete, new TableEntity(lease.ChatId, rowKey), ETag.All));
            }

            await CommitAsync(lease, state, lease.NextCallSequence, actions, cancellationToken);
        });

    public Task<bool> HasPendingAsync(string chatId, WorkStage stage, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("look for pending work", async () =>
        {
            await foreach (var _ in Range(chatId, stage == WorkStage.Inbound ? InboxPrefix : OutboxPrefix, 1, cancellationToken))
            {
                return true;
            }

            return false;
        });

    public Task SaveAsync(ChatLease lease, ChatState state, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("save a chat", () => CommitAsync(lease, state, lease.NextCallSequence, [], cancellationToken));

    public Task ReleaseAsync(ChatLease lease, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("release a chat", async () =>
        {
            var free = new TableEntity(lease.ChatId, StateKey) { ["LeaseOwner"] = string.Empty, ["LeaseUntilTicks"] = 0L };
            try
            {
                var response = await table.UpdateEntityAsync(free, new ETag(lease.Version), TableUpdateMode.Merge, cancellationToken);
                lease.Version = response.Headers.ETag!.Value.ToString();
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                throw new LeaseLostException(lease.ChatId);
            }
        });

    private async Task CommitAsync(ChatLease lease, ChatState state, long nextSequence, List<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        var entity = ToEntity(state, lease.Owner, time.GetUtcNow() + Core.Processing.ChatLeaseRunner.LeaseDuration, nextSequence);
        actions.Insert(0, new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, new ETag(lease.Version)));
        try
        {
            var response = await table.SubmitTransactionAsync(actions, cancellationToken);
            lease.Version = response.Value[0].Headers.ETag!.Value.ToString();
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 404)
        {
            throw new LeaseLostException(lease.ChatId);
        }

        lease.State = state;
        lease.NextCallSequence = nextSequence;
    }

    private IAsyncEnumerable<TableEntity> Range(string chatId, string prefix, int max, CancellationToken cancellationToken)
    {
        var end = prefix[..^1] + (char)(prefix[^1] + 1);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {chatId} and RowKey ge {prefix} and RowKey lt {end}");
        return Take(table.QueryAsync<TableEntity>(filter, max, cancellationToken: cancellationToken), max, cancellationToken);
    }

    private static async IAsyncEnumerable<TableEntity> Take(AsyncPageable<TableEntity> rows, int max, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            yield return row;
            if (++count == max)
            {
                yield break;
            }
        }
    }

    private static TableEntity ToEntity(ChatState s, string leaseOwner, DateTimeOffset leaseUntil, long nextCallSequence) => new(s.ChatId, StateKey)
    {
        ["Mode"] = s.Mode.ToString(),
        ["Epoch"] = s.Epoch,
        ["FlowId"] = s.FlowId,
        ["StepId"] = s.StepId,
        ["Context"] = JsonSerializer.Serialize(new Dictionary<string, string>(s.Context), CoreJson.Default.DictionaryStringString),
        ["Variables"] = JsonSerializer.Serialize(new Dictionary<string, string>(s.Variables), CoreJson.Default.DictionaryStringString),
        ["BotState"] = s.BotState,
        ["Channel"] = s.Channel,
        ["CustomerNumber"] = s.CustomerNumber,
        ["BusinessNumber"] = s.BusinessNumber,
        ["UpdatedUtc"] = s.UpdatedUtc,
        ["History"] = JsonSerializer.Serialize(s.History.ToList(), CoreJson.Default.ListHistoryEntry),
        ["LastFailure"] = s.LastFailure is null ? null : JsonSerializer.Serialize(s.LastFailure, CoreJson.Default.ProcessingFailure),
        ["LeaseOwner"] = leaseOwner,
        ["LeaseUntilTicks"] = leaseUntil.UtcTicks,
        ["NextCallSeq"] = nextCallSequence,
    };

    private static ChatState ToState(TableEntity e) => new()
    {
        ChatId = e.PartitionKey,
        Mode = Enum.Parse<RoutingMode>(e.GetString("Mode") ?? nameof(RoutingMode.Bot)),
        Epoch = e.GetInt64("Epoch") ?? 0,
        FlowId = e.GetString("FlowId"),
        StepId = e.GetString("StepId"),
        Context = Json(e.GetString("Context"), CoreJson.Default.DictionaryStringString) ?? [],
        Variables = Json(e.GetString("Variables"), CoreJson.Default.DictionaryStringString) ?? [],
        BotState = e.GetString("BotState"),
        Channel = e.GetString("Channel"),
        CustomerNumber = e.GetString("CustomerNumber"),
        BusinessNumber = e.GetString("BusinessNumber"),
        UpdatedUtc = e.GetDateTimeOffset("UpdatedUtc") ?? e.Timestamp ?? DateTimeOffset.MinValue,
        History = Json(e.GetString("History"), CoreJson.Default.ListHistoryEntry) ?? [],
        LastFailure = Json(e.GetString("LastFailure"), CoreJson.Default.ProcessingFailure),
    };

    private static T? Json<T>(string? json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        string.IsNullOrEmpty(json) ? default : JsonSerializer.Deserialize(json, type);

    /// <summary>CM references are free text; row keys forbid some characters, so the key is a hash.</summary>
    private static string Hash(string reference) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference)).AsSpan(0, 16));
}
