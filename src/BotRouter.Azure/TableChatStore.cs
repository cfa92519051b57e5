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
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BotRouter.Azure;

/// <summary>
/// Chats in Table Storage, one partition per chat. Row keys sort so that one range query reads everything a
/// turn needs: the state row <c>c</c> (with the hold and the ETag), inbox rows <c>c-in-…</c> keyed by
/// arrival, outbox rows <c>c-out-…</c> keyed by a sequence; dedupe rows <c>d-…</c> (one per message) and
/// delivery rows <c>s-…</c> (one per reply CM reported on) sort after that range, so they never touch the
/// state row's ETag. Every commit is one entity-group transaction conditioned on the state row's ETag.
/// A webhook or a bot state too large for a row goes to Blob storage (<c>payloads</c>) and the row keeps its name;
/// a state blob is written under a new name each time, before the commit that points to it, and the one it replaced
/// is deleted after that commit.
/// </summary>
public sealed partial class TableChatStore(TableServiceClient tables, BlobServiceClient blobs, TimeProvider time, IOptions<ProcessingOptions> options, ILogger<TableChatStore> logger) : IChatStore
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

    /// <summary>
    /// A bot state longer than this goes to Blob storage: the state row keeps at most what it kept when this was
    /// the limit of a state, next to the history, context and variables, well under a row's 1 MiB.
    /// </summary>
    internal const int MaxInlineStateChars = 16_000;

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
            ETag? missingAt = null;
            while (true)
            {
                var response = await table.GetEntityIfExistsAsync<TableEntity>(chatId.ToString(), StateKey, cancellationToken: cancellationToken);
                if (!response.HasValue)
                {
                    return null;
                }

                if (await ToStateAsync(response.Value!, missingAt, cancellationToken) is { } read)
                {
                    return read.State;
                }

                missingAt = response.Value!.ETag;
            }
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
            ETag? missingAt = null;
            while (true)
            {
                var (work, etag) = await ReadWorkOnceAsync(chatId, missingAt, cancellationToken);
                if (work is not null)
                {
                    return (ChatWork)work;
                }

                missingAt = etag;
            }
        });

    /// <summary>One range query; no work when the state's blob was replaced after the row was read (read again).</summary>
    private async Task<(TableChatWork? Work, ETag? StateETag)> ReadWorkOnceAsync(ChatId chatId, ETag? missingAt, CancellationToken cancellationToken)
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
        (ChatState State, StateBlob? Blob)? read = stateRow is null ? (ChatState.New(partition, now), null) : await ToStateAsync(stateRow, missingAt, cancellationToken);
        if (read is not { } loaded)
        {
            return (null, stateRow!.ETag);
        }

        var until = new DateTimeOffset(stateRow?.GetInt64("LeaseUntilTicks") ?? 0, TimeSpan.Zero);
        var work = new TableChatWork(
            chatId,
            loaded.State,
            inbox,
            outbox,
            until > now ? until : null,
            hasMore,
            stateRow?.ETag,
            stateRow?.GetInt64("NextCallSeq") ?? 0)
        {
            StateBlob = loaded.Blob,
        };
        return (work, stateRow?.ETag);
    }

    public Task CommitAsync(ChatWork work, ChatCommit commit, CancellationToken cancellationToken) =>
        StorageGuard.RunAsync("commit a chat turn", async () =>
        {
            var w = (TableChatWork)work;
            var partition = w.ChatId.ToString();
            var sequence = w.NextSequence;
            var actions = new List<TableTransactionAction>();
            var until = commit.Release ? DateTimeOffset.MinValue : time.GetUtcNow() + options.Value.LeaseDuration;
            var stateBlob = await PlaceBotStateAsync(w, commit.State.BotState, cancellationToken);
            var state = ToEntity(commit.State, stateBlob?.Name, until, sequence + commit.Added.Count);
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
                // Refused for certain, so no row points to a blob this commit wrote; the committed state keeps its own.
                if (stateBlob is not null && stateBlob.Name != w.StateBlob?.Name)
                {
                    await DeleteUnreferencedBlobAsync(w.ChatId, stateBlob.Name, cancellationToken);
                }

                throw new LeaseLostException(w.ChatId);
            }

            var replaced = w.StateBlob;
            w.StateBlob = stateBlob;
            w.NextSequence = sequence;
            foreach (var done in commit.Done)
            {
                w.OutboxKeys.Remove(done.Id);
            }

            foreach (var (callId, rowKey) in added)
            {
                w.OutboxKeys[callId] = rowKey;
            }

            if (replaced is not null && replaced.Name != stateBlob?.Name)
            {
                await DeleteUnreferencedBlobAsync(w.ChatId, replaced.Name, cancellationToken);
            }

            // The commit is done: a message's payload blob is no longer needed, and failing to delete it must not
            // make the caller think the commit failed.
            if (commit.Handled?.PayloadBlob is { } blob)
            {
                await DeleteUnreferencedBlobAsync(w.ChatId, blob, cancellationToken);
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

    /// <summary>
    /// Where the row's bot state goes: null when it fits inline; the blob the chat already has when the state is
    /// the one in it (a commit that leaves the state as it was writes no blob); otherwise a new blob, uploaded here.
    /// </summary>
    private async Task<StateBlob?> PlaceBotStateAsync(TableChatWork work, string? botState, CancellationToken cancellationToken)
    {
        if (botState is null || botState.Length <= MaxInlineStateChars)
        {
            return null;
        }

        if (work.StateBlob is { } current && string.Equals(current.Content, botState, StringComparison.Ordinal))
        {
            return current;
        }

        var name = $"{work.ChatId}/state-{time.GetUtcNow().UtcTicks:D19}-{Guid.NewGuid():N}.json";
        await payloads.GetBlobClient(name).UploadAsync(BinaryData.FromString(botState), overwrite: false, cancellationToken);
        LogStateStored(work.ChatId, botState.Length, name);
        return new StateBlob(name, botState);
    }

    /// <summary>
    /// Best effort: a blob (a replaced bot state, a handled message's payload) no committed row points to any more;
    /// failing to delete it only leaves it behind.
    /// </summary>
    private async Task DeleteUnreferencedBlobAsync(ChatId chatId, string name, CancellationToken cancellationToken)
    {
        try
        {
            await payloads.GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException or OperationCanceledException or AggregateException)
        {
            LogBlobLeft(chatId, name, e.Message);
        }
    }

    /// <summary>
    /// The state in a row, with its bot state blob loaded (null when the row keeps it inline). A blob that is not
    /// there means a commit elsewhere replaced it after this row was read: null, read the row again. When the row
    /// read again (<paramref name="missingAt"/>, same ETag) still points to it, it is gone for good and the bot
    /// starts afresh rather than the chat getting stuck.
    /// </summary>
    private async Task<(ChatState State, StateBlob? Blob)?> ToStateAsync(TableEntity row, ETag? missingAt, CancellationToken cancellationToken)
    {
        var state = ToState(row);
        if (row.GetString("BotStateBlob") is not { } name)
        {
            return (state, null);
        }

        try
        {
            var content = (await payloads.GetBlobClient(name).DownloadContentAsync(cancellationToken)).Value.Content.ToString();
            return (state with { BotState = content }, new StateBlob(name, content));
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            if (missingAt != row.ETag)
            {
                return null;
            }

            LogStateBlobLost(row.PartitionKey, name);
            return (state with { BotState = null }, null);
        }
    }

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

    private static TableEntity ToEntity(ChatState s, string? botStateBlob, DateTimeOffset holdUntil, long nextCallSequence) => new(s.ChatId, StateKey)
    {
        ["Mode"] = s.Mode.ToString(),
        ["Epoch"] = s.Epoch,
        ["FlowId"] = s.FlowId,
        ["StepId"] = s.StepId,
        ["Context"] = JsonSerializer.Serialize(new Dictionary<string, string>(s.Context), CoreJson.Default.DictionaryStringString),
        ["Variables"] = JsonSerializer.Serialize(new Dictionary<string, string>(s.Variables), CoreJson.Default.DictionaryStringString),
        ["BotState"] = botStateBlob is null ? s.BotState : null,
        ["BotStateBlob"] = botStateBlob,
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

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Chat {ChatId}: a bot state of {Characters} characters goes to blob {Blob}")]
    private partial void LogStateStored(ChatId chatId, int characters, string blob);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Chat {ChatId}: could not delete the blob {Blob} no row points to any more ({Reason}); it is left behind")]
    private partial void LogBlobLeft(ChatId chatId, string blob, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Chat {ChatId}: the bot state blob {Blob} is missing; the bot starts afresh")]
    private partial void LogStateBlobLost(string chatId, string blob);

    /// <summary>A bot state kept in a blob: the blob's name and what it holds.</summary>
    private sealed record StateBlob(string Name, string Content);

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

        /// <summary>The blob the committed state row points to; null while the bot state is inline.</summary>
        public StateBlob? StateBlob { get; set; }
    }
}
