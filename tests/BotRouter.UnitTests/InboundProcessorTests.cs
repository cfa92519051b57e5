using BotRouter.Core.Chats;
using BotRouter.Core.Flows;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace BotRouter.UnitTests;

public class InboundProcessorTests
{
    private const string ChatId = ChatTurnsTests.ChatId;
    private readonly IChatStore store = Substitute.For<IChatStore>();
    private readonly IWorkSignals signals = Substitute.For<IWorkSignals>();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
    private readonly InboundProcessor processor;
    private readonly ChatLease lease;

    public InboundProcessorTests()
    {
        var ids = new GuidIdSource();
        var runner = new ChatLeaseRunner(store, signals, ids, time, NullLogger<ChatLeaseRunner>.Instance);
        var turns = new ChatTurns(new FlowBot(FlowSetValidator.LoadDefault()), new RouterRequests("CmBot"), ids);
        processor = new InboundProcessor(store, signals, runner, turns, time, NullLogger<InboundProcessor>.Instance);
        lease = new ChatLease(ChatId, "me", ChatState.New(ChatId, time.GetUtcNow()), "v1");
        store.TryAcquireAsync(ChatId, Arg.Any<string>(), Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>()).Returns(new LeaseAttempt(lease, TimeSpan.Zero));
        store.CommitTurnAsync(lease, Arg.Do<ChatState>(s => lease.State = s), Arg.Any<InboxItem>(), Arg.Any<IReadOnlyList<RouterCall>>(), Arg.Any<CancellationToken>()).Returns(Task.CompletedTask);
    }

    [Fact]
    public async Task Each_inbox_item_is_committed_in_order_then_the_router_commands_processor_is_woken()
    {
        InboxItem[] items = [ChatTurnsTests.Customer("hi") with { Key = "1" }, ChatTurnsTests.Customer("1") with { Key = "2" }];
        store.ReadInboxAsync(lease, Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns(items, (IReadOnlyList<InboxItem>)[]);

        await processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken);

        Received.InOrder(() =>
        {
            store.CommitTurnAsync(lease, Arg.Any<ChatState>(), items[0], Arg.Any<IReadOnlyList<RouterCall>>(), Arg.Any<CancellationToken>());
            store.CommitTurnAsync(lease, Arg.Any<ChatState>(), items[1], Arg.Any<IReadOnlyList<RouterCall>>(), Arg.Any<CancellationToken>());
            store.ReleaseAsync(lease, Arg.Any<CancellationToken>());
            signals.SignalAsync(WorkStage.RouterCommands, ChatId, TimeSpan.Zero, Arg.Any<CancellationToken>());
        });
        Assert.Equal(("orders", "ask-number"), (lease.State.FlowId, lease.State.StepId));
    }

    [Fact]
    public async Task A_run_that_died_after_its_commit_is_completed_by_the_retry_which_wakes_the_router_commands_processor()
    {
        // The first run committed its turn, then could not queue the router-commands signal (a crash in between).
        store.ReadInboxAsync(lease, Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns([ChatTurnsTests.Customer("hi")], (IReadOnlyList<InboxItem>)[]);
        signals.SignalAsync(WorkStage.RouterCommands, ChatId, Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>())
            .Returns(_ => throw new StorageUnavailableException("queue down", new IOException()), _ => Task.CompletedTask);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken));

        // The queue delivers the signal again: the inbox is empty now, but a call waits in the outbox.
        store.ReadOutboxAsync(lease, 1, Arg.Any<CancellationToken>()).Returns([new RouterCall("c", RouterCallKind.Reply, "{}", 0, "reply")]);
        await processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken);

        await store.Received(1).CommitTurnAsync(lease, Arg.Any<ChatState>(), Arg.Any<InboxItem>(), Arg.Any<IReadOnlyList<RouterCall>>(), Arg.Any<CancellationToken>());
        await signals.Received(2).SignalAsync(WorkStage.RouterCommands, ChatId, TimeSpan.Zero, Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task A_signal_for_a_chat_with_nothing_to_do_wakes_nobody()
    {
        store.ReadInboxAsync(lease, Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns((IReadOnlyList<InboxItem>)[]);
        store.ReadOutboxAsync(lease, 1, Arg.Any<CancellationToken>()).Returns((IReadOnlyList<RouterCall>)[]);

        await processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken);

        await signals.DidNotReceiveWithAnyArgs().SignalAsync(default, default!, default, default);
    }
}
