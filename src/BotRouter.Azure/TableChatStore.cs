using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Contracts;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Options;

namespace BotRouter.Azure;

/// <summary>
/// Chats in Table Storage, one partition per chat. Row keys sort so that one range query reads everything a
/// turn needs: the state row <c>c</c> (with the hold and the ETag), inbox rows <c>c-in-…</c> keyed by
/// arrival, outbox rows <c>c-out-…</c> keyed by a sequence; dedupe rows <c>d-…</c> (one per message) and
/// delivery rows <c>s-…</c> (one per reply CM reported on) sort after that range, so they never touch the
/// state row's ETag. Every commit is one entity-group transaction conditioned on the state row's ETag.
/// </summary>
public sealed class TableChatStore(TableServiceClient tables, BlobServiceClient blobs, TimeProvider time, IOptions<ProcessingOptions> options) : IChatStore
{
    private const string StateKey = "c";
    private const string InboxPrefix = "c-in-";
    private const string OutboxPrefix = "c-out-";
    private const string DedupePrefix = "d-";
    private const string DeliveryPrefix = "s-";

    /// <summary>The end of the range that holds the state, inbox and outbox rows (exclusive).</summary>
    private const string WorkRangeEnd = "d";

    /// <summary>What one read of a chat returns at most (state, inbox and outbox rows); more inbox rows wait for the next read.</summary>
    private const int ReadPageSize = 200;

    /// <summary>Table string properties hold 64 KiB (32K UTF-16 chars); larger payloads go to Blob storage.</summary>
    internal const int MaxInlinePayloadChars = 30_000;

    private readonly TableClient table = tables.GetTableClient(StorageNames.ChatsTable);
    private readonly BlobContainerClient payloads = blobs.GetBlobContainerClient(StorageNames.PayloadsContainer);

    public Task<bool> AppendAsync(ChatId chatId, InboxItem item, string? dedupeKey, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("append to the inbox", async () =>
        {
            var partition = chatId.ToString();
            var entity = new TableEntity(partition, InboxPrefix + item.Key)
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
                var blobName = $"{partition}/{item.Key}.json";
                await payloads.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(item.Payload), overwrite: true, cancellationToken);
                entity["PayloadBlob"] = blobName;
            }

            if (dedupeKey is null)
            {
                try
                {
                    await table.AddEntityAsync(entity, cancellationToken);
                }
                catch (RequestFailedException e) when (e.Status == 409)
                {
                    // The row key carries a fresh id, so the row already there is this very append: the client sent it
                    // again after losing the answer (a reset connection). Stored once; a failure here made callers resend.
                }

                return true;
            }

            var marker = new TableEntity(partition, DedupePrefix + Hash(dedupeKey)) { ["ReceivedUtc"] = item.ReceivedUtc };
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

    public Task<ChatState?> GetAsync(ChatId chatId, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("read a chat", async () =>
        {
            var response = await table.GetEntityIfExistsAsync<TableEntity>(chatId.ToString(), StateKey, cancellationToken: cancellationToken);
            return response.HasValue ? ToState(response.Value!) : null;
        });

    public Task RecordDeliveryAsync(ChatId chatId, Core.Delivery.DeliveryReport report, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("record a delivery status", async () =>
        {
            // One property per status, merged: reports that arrive out of order (read before delivered) lose nothing.
            var row = new TableEntity(chatId.ToString(), DeliveryPrefix + Hash(report.Reference))
            {
                ["Reference"] = report.Reference,
                [$"{report.Status}Utc"] = report.ReceivedUtc,
            };
            if (report.ErrorDescription is { } description)
            {
                row["Error"] = report.ErrorCode is { } code ? $"{code}: {description}" : description;
            }

            await table.UpsertEntityAsync(row, TableUpdateMode.Merge, cancellationToken);
        });

    public Task<IReadOnlyDictionary<string, Core.Delivery.DeliveryStatus>> GetDeliveriesAsync(ChatId chatId, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("read delivery statuses", async () =>
        {
            var partition = chatId.ToString();
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {DeliveryPrefix} and RowKey lt {"s."}");
            var result = new Dictionary<string, Core.Delivery.DeliveryStatus>();
            await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            {
                if (row.GetString("Reference") is { } reference && Latest(row) is { } status)
                {
                    result[reference] = status;
                }
            }

            return (IReadOnlyDictionary<string, Core.Delivery.DeliveryStatus>)result;
        });

    /// <summary>A failure or rejection is final; otherwise the furthest step reached.</summary>
    private static Core.Delivery.DeliveryStatus? Latest(TableEntity row) =>
        new[]
        {
            Core.Delivery.DeliveryStatus.Rejected, Core.Delivery.DeliveryStatus.Failed, Core.Delivery.DeliveryStatus.Read,
            Core.Delivery.DeliveryStatus.Delivered, Core.Delivery.DeliveryStatus.Accepted,
        }.Cast<Core.Delivery.DeliveryStatus?>().FirstOrDefault(s => row.ContainsKey($"{s}Utc"));

    public Task<ChatWork> ReadWorkAsync(ChatId chatId, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("read a chat's work", async () =>
        {
            var partition = chatId.ToString();
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {StateKey} and RowKey lt {WorkRangeEnd}");
            TableEntity? stateRow = null;
            var inbox = new List<InboxItem>();
            var outbox = new List<(string RowKey, RouterCall Call)>();
            var hasMore = false;
            await foreach (var page in table.QueryAsync<TableEntity>(filter, ReadPageSize, cancellationToken: cancellationToken).AsPages())
            {
                foreach (var row in page.Values)
                {
                    if (row.RowKey == StateKey)
                    {
                        stateRow = row;
                    }
                    else if (row.RowKey.StartsWith(InboxPrefix, StringComparison.Ordinal))
                    {
                        inbox.Add(await ToInboxItemAsync(row, cancellationToken));
                    }
                    else if (row.RowKey.StartsWith(OutboxPrefix, StringComparison.Ordinal))
                    {
                        outbox.Add((row.RowKey, ToCall(row)));
                    }
                }

                hasMore = page.ContinuationToken is not null;
                break;
            }

            var now = time.GetUtcNow();
            var until = new DateTimeOffset(stateRow?.GetInt64("LeaseUntilTicks") ?? 0, TimeSpan.Zero);
            return (ChatWork)new TableChatWork(
                chatId,
                stateRow is null ? ChatState.New(partition, now) : ToState(stateRow),
                inbox,
                outbox,
                until > now ? until : null,
                hasMore,
                stateRow?.ETag,
                stateRow?.GetInt64("NextCallSeq") ?? 0);
        });

    public Task CommitAsync(ChatWork work, ChatCommit commit, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("commit a chat turn", async () =>
        {
            var w = (TableChatWork)work;
            var partition = w.ChatId.ToString();
            var sequence = w.NextSequence;
            var actions = new List<TableTransactionAction>();
            var until = commit.Release ? DateTimeOffset.MinValue : time.GetUtcNow() + options.Value.LeaseDuration;
            var state = ToEntity(commit.State, until, sequence + commit.Added.Count);
            actions.Add(w.ETag is { } etag
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, state, etag)
                : new TableTransactionAction(TableTransactionActionType.Add, state));
            foreach (var done in commit.Done)
            {
                if (w.OutboxKeys.TryGetValue(done.Id, out var rowKey))
                {
                    actions.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, rowKey), ETag.All));
                }
            }

            if (commit.Handled is { } handled)
            {
                actions.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, InboxPrefix + handled.Key), ETag.All));
            }

            var added = new List<(string, string)>();
            foreach (var call in commit.Added)
            {
                var rowKey = $"{OutboxPrefix}{sequence++:D19}";
                added.Add((call.Id, rowKey));
                actions.Add(new(TableTransactionActionType.Add, ToEntity(partition, rowKey, call)));
            }

            try
            {
                var response = await table.SubmitTransactionAsync(actions, cancellationToken);
                w.ETag = response.Value[0].Headers.ETag!.Value;
            }
            catch (TableTransactionFailedException e) when (e.Status is 412 or 404 or 409)
            {
                throw new LeaseLostException(w.ChatId);
            }

            w.NextSequence = sequence;
            foreach (var done in commit.Done)
            {
                w.OutboxKeys.Remove(done.Id);
            }

            foreach (var (callId, rowKey) in added)
            {
                w.OutboxKeys[callId] = rowKey;
            }

            if (commit.Handled?.PayloadBlob is { } blob)
            {
                await payloads.GetBlobClient(blob).DeleteIfExistsAsync(cancellationToken: cancellationToken);
            }
        });

    public Task RenewAsync(ChatWork work, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("renew a chat's hold", async () =>
        {
            var w = (TableChatWork)work;
            if (w.ETag is not { } etag)
            {
                return;
            }

            var hold = new TableEntity(w.ChatId.ToString(), StateKey) { ["LeaseUntilTicks"] = (time.GetUtcNow() + options.Value.LeaseDuration).UtcTicks };
            try
            {
                var response = await table.UpdateEntityAsync(hold, etag, TableUpdateMode.Merge, cancellationToken);
                w.ETag = response.Headers.ETag!.Value;
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                throw new LeaseLostException(w.ChatId);
            }
        });

    private async Task<InboxItem> ToInboxItemAsync(TableEntity row, CancellationToken cancellationToken)
    {
        var payload = row.GetString("Payload");
        var blobName = row.GetString("PayloadBlob");
        if (payload is null && blobName is not null)
        {
            var content = await payloads.GetBlobClient(blobName).DownloadContentAsync(cancellationToken);
            payload = content.Value.Content.ToString();
        }

        return new InboxItem(
            row.RowKey[InboxPrefix.Length..],
            Enum.Parse<InboxKind>(row.GetString("Kind")!),
            payload ?? string.Empty,
            row.GetDateTimeOffset("ReceivedUtc") ?? row.Timestamp ?? time.GetUtcNow())
        {
            PayloadBlob = blobName,
        };
    }

    private static RouterCall ToCall(TableEntity row) => new(
        row.GetString("CallId")!,
        Enum.Parse<RouterCallKind>(row.GetString("Kind")!),
        row.GetString("Body"),
        row.GetInt64("Epoch") ?? 0,
        row.GetString("Summary") ?? string.Empty);

    private static TableEntity ToEntity(string partition, string rowKey, RouterCall call) => new(partition, rowKey)
    {
        ["CallId"] = call.Id,
        ["Kind"] = call.Kind.ToString(),
        ["Body"] = call.Body,
        ["Epoch"] = call.Epoch,
        ["Summary"] = call.Summary,
    };

    private static TableEntity ToEntity(ChatState s, DateTimeOffset holdUntil, long nextCallSequence) => new(s.ChatId, StateKey)
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
        ["LastCustomerUtc"] = s.LastCustomerUtc,
        ["LastRoutingUtc"] = s.LastRoutingUtc,
        ["History"] = JsonSerializer.Serialize(s.History.ToList(), CoreJson.Default.ListHistoryEntry),
        ["LastFailure"] = s.LastFailure is null ? null : JsonSerializer.Serialize(s.LastFailure, CoreJson.Default.ProcessingFailure),
        ["LeaseUntilTicks"] = holdUntil.UtcTicks,
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
        LastCustomerUtc = e.GetDateTimeOffset("LastCustomerUtc"),
        LastRoutingUtc = e.GetDateTimeOffset("LastRoutingUtc"),
        History = Json(e.GetString("History"), CoreJson.Default.ListHistoryEntry) ?? [],
        LastFailure = Json(e.GetString("LastFailure"), CoreJson.Default.ProcessingFailure),
    };

    private static T? Json<T>(string? json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        string.IsNullOrEmpty(json) ? default : JsonSerializer.Deserialize(json, type);

    /// <summary>Dedupe keys are free text; row keys forbid some characters, so the key is a hash.</summary>
    private static string Hash(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 16));

    /// <summary>A chat as read, with the store's bookkeeping: the state row's ETag, the outbox sequence and row keys.</summary>
    private sealed class TableChatWork : ChatWork
    {
        public TableChatWork(ChatId chatId, ChatState state, List<InboxItem> inbox, List<(string RowKey, RouterCall Call)> outbox, DateTimeOffset? heldUntil, bool hasMore, ETag? etag, long nextSequence)
            : base(chatId, state, inbox, [.. outbox.Select(o => o.Call)], heldUntil, hasMore)
        {
            ETag = etag;
            NextSequence = nextSequence;
            OutboxKeys = outbox.ToDictionary(o => o.Call.Id, o => o.RowKey);
        }

        public ETag? ETag { get; set; }

        public long NextSequence { get; set; }

        public Dictionary<string, string> OutboxKeys { get; }
    }
}
