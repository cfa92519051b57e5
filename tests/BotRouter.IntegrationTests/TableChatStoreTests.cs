using Azure.Data.Tables;
using Azure.Storage.Blobs;
using BotRouter.Azure;
using BotRouter.Core.Chats;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;
using BotRouter.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace BotRouter.IntegrationTests;

/// <summary>The chat store on real Azurite: dedupe, leases with ETags, atomic commits, oversize payloads.</summary>
public sealed class TableChatStoreTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private AppHarness app = null!;
    private TableChatStore store = null!;

    public async ValueTask InitializeAsync()
    {
        app = await AppHarness.StartAsync(azurite);
        store = new TableChatStore(app.Services.GetRequiredService<TableServiceClient>(), app.Services.GetRequiredService<BlobServiceClient>(), time);
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private InboxItem Item(string payload = "{}") => new($"{time.GetUtcNow().UtcTicks:D19}-{Guid.NewGuid():N}", InboxKind.Operator, payload, time.GetUtcNow());

    [Fact]
    public async Task The_same_reference_is_appended_once()
    {
        var chatId = AppHarness.NewChatId();

        Assert.True(await store.AppendAsync(chatId, Item(), "ref-1", Ct));
        Assert.False(await store.AppendAsync(chatId, Item(), "ref-1", Ct));
        Assert.True(await store.AppendAsync(chatId, Item(), "ref-2", Ct));

        var lease = (await store.TryAcquireAsync(chatId, "a", TimeSpan.FromSeconds(60), Ct)).Lease!;
        Assert.Equal(2, (await store.ReadInboxAsync(lease, 10, Ct)).Count);
    }

    [Fact]
    public async Task A_held_chat_is_refused_to_a_second_processor_until_the_lease_ends()
    {
        var chatId = AppHarness.NewChatId();
        var first = await store.TryAcquireAsync(chatId, "a", TimeSpan.FromSeconds(60), Ct);

        time.Advance(TimeSpan.FromSeconds(20));
        var second = await store.TryAcquireAsync(chatId, "b", TimeSpan.FromSeconds(60), Ct);

        Assert.NotNull(first.Lease);
        Assert.Null(second.Lease);
        Assert.Equal(TimeSpan.FromSeconds(40), second.RetryAfter);
    }

    [Fact]
    public async Task A_released_chat_can_be_taken_at_once()
    {
        var chatId = AppHarness.NewChatId();
        var first = (await store.TryAcquireAsync(chatId, "a", TimeSpan.FromSeconds(60), Ct)).Lease!;

        await store.ReleaseAsync(first, Ct);

        Assert.NotNull((await store.TryAcquireAsync(chatId, "b", TimeSpan.FromSeconds(60), Ct)).Lease);
    }

    [Fact]
    public async Task A_holder_whose_expired_lease_was_taken_gets_a_412_and_loses_the_chat()
    {
        var chatId = AppHarness.NewChatId();
        var slow = (await store.TryAcquireAsync(chatId, "slow", TimeSpan.FromSeconds(60), Ct)).Lease!;

        time.Advance(TimeSpan.FromSeconds(61));
        var taker = (await store.TryAcquireAsync(chatId, "taker", TimeSpan.FromSeconds(60), Ct)).Lease;

        Assert.NotNull(taker);
        await Assert.ThrowsAsync<LeaseLostException>(() => store.ReleaseAsync(slow, Ct));
        Assert.Null((await store.TryAcquireAsync(chatId, "third", TimeSpan.FromSeconds(60), Ct)).Lease);
    }

    [Fact]
    public async Task Two_processors_racing_for_a_new_chat_get_one_lease()
    {
        var chatId = AppHarness.NewChatId();

        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.TryAcquireAsync(chatId, $"p{i}", TimeSpan.FromSeconds(60), Ct)));

        Assert.Single(attempts, a => a.Lease is not null);
    }

    [Fact]
    public async Task A_turn_commit_removes_the_inbox_item_and_appends_the_calls_in_order()
    {
        var chatId = AppHarness.NewChatId();
        await store.AppendAsync(chatId, Item(), null, Ct);
        var lease = (await store.TryAcquireAsync(chatId, "a", TimeSpan.FromSeconds(60), Ct)).Lease!;
        var item = Assert.Single(await store.ReadInboxAsync(lease, 10, Ct));
        RouterCall[] calls = [.. Enumerable.Range(0, 12).Select(i => new RouterCall($"c{i}", RouterCallKind.Reply, "{}", 0, $"call {i}"))];

        await store.CommitTurnAsync(lease, lease.State with { FlowId = "main" }, item, calls, Ct);

        Assert.Empty(await store.ReadInboxAsync(lease, 10, Ct));
        Assert.Equal(calls.Select(c => c.Id), (await store.ReadOutboxAsync(lease, 32, Ct)).Select(c => c.Id));
        Assert.Equal("main", (await store.GetAsync(chatId, Ct))!.FlowId);
    }

    [Fact]
    public async Task A_payload_too_large_for_a_table_row_goes_to_a_blob_and_comes_back_whole()
    {
        var chatId = AppHarness.NewChatId();
        var payload = "{\"text\":\"" + new string('x', 200_000) + "\"}";
        await store.AppendAsync(chatId, Item(payload), "big", Ct);
        var lease = (await store.TryAcquireAsync(chatId, "a", TimeSpan.FromSeconds(60), Ct)).Lease!;

        var item = Assert.Single(await store.ReadInboxAsync(lease, 10, Ct));
        Assert.Equal(payload, item.Payload);
        Assert.NotNull(item.PayloadBlob);

        await store.CommitTurnAsync(lease, lease.State, item, [], Ct);
        var blob = app.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(StorageNames.PayloadsContainer).GetBlobClient(item.PayloadBlob);
        Assert.False(await blob.ExistsAsync(Ct));
    }

    [Fact]
    public async Task The_runner_puts_the_signal_back_when_the_chat_is_busy()
    {
        var chatId = AppHarness.NewChatId();
        await store.TryAcquireAsync(chatId, "other", TimeSpan.FromSeconds(60), Ct);
        var signals = new RecordingSignals();
        var runner = new ChatLeaseRunner(store, signals, new GuidIdSource(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<ChatLeaseRunner>.Instance);
        var ran = false;

        var done = await runner.RunAsync(WorkStage.Inbound, chatId, _ => { ran = true; return Task.CompletedTask; }, Ct);

        Assert.False(done);
        Assert.False(ran);
        Assert.Equal((WorkStage.Inbound, chatId), Assert.Single(signals.Sent));
    }

    private sealed class RecordingSignals : IWorkSignals
    {
        public List<(WorkStage, string)> Sent { get; } = [];

        public Task SignalAsync(WorkStage queue, string chatId, TimeSpan delay, CancellationToken cancellationToken)
        {
            Sent.Add((queue, chatId));
            return Task.CompletedTask;
        }

        public Task PoisonAsync(WorkStage queue, string chatId, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
