using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using BotRouter.Azure;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Routing;
using BotRouter.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BotRouter.IntegrationTests;

/// <summary>The chat store on real Azurite: dedupe, one read per pass, commits conditioned on the read, holds, oversize payloads and bot states.</summary>
public sealed class TableChatStoreTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private AppHarness app = null!;
    private TableChatStore store = null!;

    public async ValueTask InitializeAsync()
    {
        app = await AppHarness.StartAsync(azurite);
        store = Store(app.Services.GetRequiredService<BlobServiceClient>());
    }

    private TableChatStore Store(BlobServiceClient blobs) => new(
        app.Services.GetRequiredService<TableServiceClient>(),
        blobs,
        time,
        Options.Create(new ProcessingOptions { LeaseDuration = Hold }),
        NullLogger<TableChatStore>.Instance);

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private InboxItem Item(string payload = "{}")
    {
        time.Advance(TimeSpan.FromTicks(1));
        return new InboxItem($"{time.GetUtcNow().UtcTicks:D19}-{Guid.NewGuid():N}", InboxKind.Operator, payload, time.GetUtcNow());
    }

    private static ChatCommit Commit(ChatWork work, ChatState? state = null, InboxItem? handled = null, IReadOnlyList<RouterCall>? added = null, IReadOnlyList<RouterCall>? done = null, bool release = false) =>
        new(state ?? work.State, done ?? [], handled, added ?? [], release);

    [Fact]
    public async Task The_same_dedupe_key_is_appended_once()
    {
        var chatId = ChatId.New();

        Assert.True(await store.AppendAsync(chatId, Item(), "message-1", Ct));
        Assert.False(await store.AppendAsync(chatId, Item(), "message-1", Ct));
        Assert.True(await store.AppendAsync(chatId, Item(), "message-2", Ct));

        Assert.Equal(2, (await store.ReadWorkAsync(chatId, Ct)).Inbox.Count);
    }

    /// <summary>
    /// The storage client retries a request whose answer it did not get (a connection reset by the outage): an append
    /// without a dedupe key (an operator command) that was stored the first time then meets its own row (409). That
    /// is the command stored, not a failure: a 500 there made the caller post the command again, stored twice.
    /// </summary>
    [Fact]
    public async Task An_append_sent_again_after_its_answer_was_lost_is_stored_once_and_reported_stored()
    {
        var chatId = ChatId.New();
        var item = Item();

        Assert.True(await store.AppendAsync(chatId, item, null, Ct));
        Assert.True(await store.AppendAsync(chatId, item, null, Ct));

        Assert.Single((await store.ReadWorkAsync(chatId, Ct)).Inbox);
    }

    [Fact]
    public async Task One_read_returns_the_state_the_inbox_in_arrival_order_and_the_outbox_in_decision_order()
    {
        var chatId = ChatId.New();
        var items = new[] { Item("{\"n\":1}"), Item("{\"n\":2}"), Item("{\"n\":3}") };
        foreach (var item in items.Reverse())
        {
            await store.AppendAsync(chatId, item, null, Ct);
        }

        var work = await store.ReadWorkAsync(chatId, Ct);
        Assert.Equal(items.Select(i => i.Key), work.Inbox.Select(i => i.Key));
        RouterCall[] calls = [.. Enumerable.Range(0, 12).Select(i => new RouterCall($"c{i}", RouterCallKind.Reply, "{}", 0, $"call {i}"))];
        await store.CommitAsync(work, Commit(work, work.State with { FlowId = "main" }, handled: work.Inbox[0], added: calls, release: true), Ct);

        var again = await store.ReadWorkAsync(chatId, Ct);
        Assert.Equal("main", again.State.FlowId);
        Assert.Equal(items.Skip(1).Select(i => i.Key), again.Inbox.Select(i => i.Key));
        Assert.Equal(calls.Select(c => c.Id), again.Outbox.Select(c => c.Id));
        Assert.Null(again.HeldUntil);
    }

    [Fact]
    public async Task Calls_done_leave_the_outbox_in_the_next_commit()
    {
        var chatId = ChatId.New();
        await store.AppendAsync(chatId, Item(), null, Ct);
        var work = await store.ReadWorkAsync(chatId, Ct);
        RouterCall[] calls = [new("a", RouterCallKind.Reply, "{}", 0, "a"), new("b", RouterCallKind.Mutation, "{}", 0, "b")];
        await store.CommitAsync(work, Commit(work, handled: work.Inbox[0], added: calls), Ct);

        await store.CommitAsync(work, Commit(work, done: [calls[0]], release: true), Ct);

        Assert.Equal(["b"], (await store.ReadWorkAsync(chatId, Ct)).Outbox.Select(c => c.Id));
    }

    [Fact]
    public async Task A_commit_on_a_stale_read_is_refused_so_two_processors_never_both_win()
    {
        var chatId = ChatId.New();
        await store.AppendAsync(chatId, Item(), null, Ct);
        var setup = await store.ReadWorkAsync(chatId, Ct);
        await store.CommitAsync(setup, Commit(setup, release: true), Ct);

        var first = await store.ReadWorkAsync(chatId, Ct);
        var second = await store.ReadWorkAsync(chatId, Ct);
        await store.CommitAsync(first, Commit(first, handled: first.Inbox[0]), Ct);

        await Assert.ThrowsAsync<LeaseLostException>(() => store.CommitAsync(second, Commit(second, handled: second.Inbox[0]), Ct));
    }

    [Fact]
    public async Task Processors_racing_for_a_new_chat_get_one_commit()
    {
        var chatId = ChatId.New();
        await store.AppendAsync(chatId, Item(), null, Ct);
        var reads = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => store.ReadWorkAsync(chatId, Ct)));

        var results = await Task.WhenAll(reads.Select(async w =>
        {
            try
            {
                await store.CommitAsync(w, Commit(w, handled: w.Inbox[0]), Ct);
                return true;
            }
            catch (LeaseLostException)
            {
                return false;
            }
        }));

        Assert.Single(results, won => won);
    }

    [Fact]
    public async Task A_held_chat_reads_as_held_until_the_hold_runs_out_and_renewing_extends_it()
    {
        var chatId = ChatId.New();
        await store.AppendAsync(chatId, Item(), null, Ct);
        var holder = await store.ReadWorkAsync(chatId, Ct);
        await store.CommitAsync(holder, Commit(holder), Ct);

        time.Advance(Hold / 2);
        Assert.NotNull((await store.ReadWorkAsync(chatId, Ct)).HeldUntil);
        await store.RenewAsync(holder, Ct);
        time.Advance(Hold * 3 / 4);
        Assert.NotNull((await store.ReadWorkAsync(chatId, Ct)).HeldUntil);

        time.Advance(Hold);
        var other = await store.ReadWorkAsync(chatId, Ct);
        Assert.Null(other.HeldUntil);
        await store.CommitAsync(other, Commit(other, release: true), Ct);
        await Assert.ThrowsAsync<LeaseLostException>(() => store.RenewAsync(holder, Ct));
    }

    [Fact]
    public async Task A_payload_too_large_for_a_table_row_goes_to_a_blob_and_comes_back_whole()
    {
        var chatId = ChatId.New();
        var payload = "{\"text\":\"" + new string('x', 200_000) + "\"}";
        await store.AppendAsync(chatId, Item(payload), "big", Ct);
        var work = await store.ReadWorkAsync(chatId, Ct);

        var item = Assert.Single(work.Inbox);
        Assert.Equal(payload, item.Payload);
        Assert.NotNull(item.PayloadBlob);

        await store.CommitAsync(work, Commit(work, handled: item, release: true), Ct);
        var blob = app.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(StorageNames.PayloadsContainer).GetBlobClient(item.PayloadBlob);
        Assert.False(await blob.ExistsAsync(Ct));
    }

    private BlobContainerClient Payloads => app.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(StorageNames.PayloadsContainer);

    private async Task<List<string>> StateBlobs(ChatId chatId)
    {
        var names = new List<string>();
        await foreach (var blob in Payloads.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{chatId}/state-", Ct))
        {
            names.Add(blob.Name);
        }

        return names;
    }

    private async Task<TableEntity> StateRow(ChatId chatId) =>
        (await app.Services.GetRequiredService<TableServiceClient>().GetTableClient(StorageNames.ChatsTable)
            .GetEntityAsync<TableEntity>(chatId.ToString(), "c", cancellationToken: Ct)).Value;

    private static string LargeState(char fill) => "{\"turns\":\"" + new string(fill, 200_000) + "\"}";

    /// <summary>A chat whose committed bot state is <paramref name="botState"/>, released.</summary>
    private async Task<ChatId> ChatWithState(string botState)
    {
        var chatId = ChatId.New();
        await store.AppendAsync(chatId, Item(), null, Ct);
        var work = await store.ReadWorkAsync(chatId, Ct);
        await store.CommitAsync(work, Commit(work, work.State with { BotState = botState }, handled: work.Inbox[0], release: true), Ct);
        return chatId;
    }

    [Fact]
    public async Task A_bot_state_too_large_for_a_row_goes_to_a_blob_and_comes_back_whole()
    {
        var large = LargeState('a');
        var chatId = await ChatWithState(large);

        Assert.Equal(large, (await store.ReadWorkAsync(chatId, Ct)).State.BotState);
        Assert.Equal(large, (await store.GetAsync(chatId, Ct))!.BotState);
        var blob = Assert.Single(await StateBlobs(chatId));
        var row = await StateRow(chatId);
        Assert.Equal(blob, row.GetString("BotStateBlob"));
        Assert.Null(row.GetString("BotState"));
    }

    [Fact]
    public async Task A_commit_that_keeps_the_large_state_as_it_was_writes_no_new_blob()
    {
        var large = LargeState('a');
        var chatId = await ChatWithState(large);
        var before = Assert.Single(await StateBlobs(chatId));
        await store.AppendAsync(chatId, Item(), null, Ct);

        var work = await store.ReadWorkAsync(chatId, Ct);
        await store.CommitAsync(work, Commit(work, work.State with { FlowId = "main" }, handled: work.Inbox[0]), Ct);
        await store.CommitAsync(work, Commit(work, release: true), Ct);

        Assert.Equal([before], await StateBlobs(chatId));
        Assert.Equal(large, (await store.GetAsync(chatId, Ct))!.BotState);
    }

    [Fact]
    public async Task A_small_state_replacing_a_large_one_is_kept_inline_and_the_blob_is_deleted()
    {
        var chatId = await ChatWithState(LargeState('a'));
        var work = await store.ReadWorkAsync(chatId, Ct);

        await store.CommitAsync(work, Commit(work, work.State with { BotState = "small" }, release: true), Ct);

        Assert.Empty(await StateBlobs(chatId));
        Assert.Equal("small", (await store.ReadWorkAsync(chatId, Ct)).State.BotState);
        var row = await StateRow(chatId);
        Assert.Equal("small", row.GetString("BotState"));
        Assert.Null(row.GetString("BotStateBlob"));
    }

    [Fact]
    public async Task Clearing_a_large_state_deletes_its_blob()
    {
        var chatId = await ChatWithState(LargeState('a'));
        var work = await store.ReadWorkAsync(chatId, Ct);

        await store.CommitAsync(work, Commit(work, work.State with { BotState = null }, release: true), Ct);

        Assert.Empty(await StateBlobs(chatId));
        Assert.Null((await store.GetAsync(chatId, Ct))!.BotState);
        Assert.Null((await StateRow(chatId)).GetString("BotStateBlob"));
    }

    [Fact]
    public async Task A_large_state_replacing_a_large_one_leaves_exactly_one_blob_for_the_chat()
    {
        var chatId = await ChatWithState(LargeState('a'));
        var first = Assert.Single(await StateBlobs(chatId));
        var work = await store.ReadWorkAsync(chatId, Ct);

        await store.CommitAsync(work, Commit(work, work.State with { BotState = LargeState('b') }), Ct);
        await store.CommitAsync(work, Commit(work, work.State with { BotState = LargeState('c') }, release: true), Ct);

        var last = Assert.Single(await StateBlobs(chatId));
        Assert.NotEqual(first, last);
        Assert.Equal(LargeState('c'), (await store.ReadWorkAsync(chatId, Ct)).State.BotState);
    }

    [Fact]
    public async Task A_refused_commit_leaves_the_committed_large_state_readable_and_no_blob_of_its_own()
    {
        var chatId = await ChatWithState(LargeState('a'));
        var winner = await store.ReadWorkAsync(chatId, Ct);
        var loser = await store.ReadWorkAsync(chatId, Ct);
        await store.CommitAsync(winner, Commit(winner, winner.State with { BotState = LargeState('b') }, release: true), Ct);

        await Assert.ThrowsAsync<LeaseLostException>(() => store.CommitAsync(loser, Commit(loser, loser.State with { BotState = LargeState('c') }), Ct));

        Assert.Equal(LargeState('b'), (await store.ReadWorkAsync(chatId, Ct)).State.BotState);
        Assert.Equal(LargeState('b'), (await store.GetAsync(chatId, Ct))!.BotState);
        Assert.Single(await StateBlobs(chatId));
    }

    [Fact]
    public async Task A_refused_commit_that_kept_the_state_deletes_nothing()
    {
        var large = LargeState('a');
        var chatId = await ChatWithState(large);
        var winner = await store.ReadWorkAsync(chatId, Ct);
        var loser = await store.ReadWorkAsync(chatId, Ct);
        await store.CommitAsync(winner, Commit(winner, winner.State with { FlowId = "main" }, release: true), Ct);

        await Assert.ThrowsAsync<LeaseLostException>(() => store.CommitAsync(loser, Commit(loser, release: true), Ct));

        Assert.Equal(large, (await store.GetAsync(chatId, Ct))!.BotState);
        Assert.Single(await StateBlobs(chatId));
    }

    [Fact]
    public async Task A_state_blob_that_is_gone_for_good_lets_the_bot_start_afresh_instead_of_blocking_the_chat()
    {
        var chatId = await ChatWithState(LargeState('a'));
        await Payloads.DeleteBlobAsync(Assert.Single(await StateBlobs(chatId)), cancellationToken: Ct);

        var work = await store.ReadWorkAsync(chatId, Ct);

        Assert.Null(work.State.BotState);
        Assert.Null((await store.GetAsync(chatId, Ct))!.BotState);
        await store.CommitAsync(work, Commit(work, work.State with { BotState = "fresh" }, release: true), Ct);
        Assert.Equal("fresh", (await store.GetAsync(chatId, Ct))!.BotState);
    }

    [Fact]
    public async Task A_read_that_races_a_commit_replacing_the_large_state_reads_again_and_gets_the_new_one()
    {
        var chatId = await ChatWithState(LargeState('a'));
        var hook = new BeforeStateDownload();
        var reader = Store(new BlobServiceClient(azurite.ConnectionString, hook.Options));
        async Task Replace(char fill)
        {
            var winner = await store.ReadWorkAsync(chatId, Ct);
            await store.CommitAsync(winner, Commit(winner, winner.State with { BotState = LargeState(fill) }, release: true), Ct);
        }

        hook.Once = () => Replace('b');
        Assert.Equal(LargeState('b'), (await reader.ReadWorkAsync(chatId, Ct)).State.BotState);
        hook.Once = () => Replace('c');
        Assert.Equal(LargeState('c'), (await reader.GetAsync(chatId, Ct))!.BotState);
        Assert.Null(hook.Once);
    }

    /// <summary>Runs <see cref="Once"/> just before the next download of a state blob: a commit elsewhere between a read's query and its download.</summary>
    private sealed class BeforeStateDownload : HttpPipelinePolicy
    {
        public Func<Task>? Once { get; set; }

        public BlobClientOptions Options
        {
            get
            {
                var options = new BlobClientOptions();
                options.AddPolicy(this, HttpPipelinePosition.PerCall);
                return options;
            }
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => ProcessNext(message, pipeline);

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (message.Request.Method == RequestMethod.Get && message.Request.Uri.Path.Contains("/state-", StringComparison.Ordinal) && Once is { } once)
            {
                Once = null;
                await once();
            }

            await ProcessNextAsync(message, pipeline);
        }
    }
}
