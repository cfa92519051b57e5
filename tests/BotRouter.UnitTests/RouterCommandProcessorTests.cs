using BotRouter.Core.Chats;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace BotRouter.UnitTests;

public class RouterCommandProcessorTests
{
    private const string ChatId = ChatTurnsTests.ChatId;
    private readonly IChatStore store = Substitute.For<IChatStore>();
    private readonly IWorkSignals signals = Substitute.For<IWorkSignals>();
    private readonly IRouterClient router = Substitute.For<IRouterClient>();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
    private readonly RouterCommandProcessor processor;

    public RouterCommandProcessorTests()
    {
        var runner = new ChatLeaseRunner(store, signals, new GuidIdSource(), time, NullLogger<ChatLeaseRunner>.Instance);
        processor = new RouterCommandProcessor(store, runner, router, signals, time, NullLogger<RouterCommandProcessor>.Instance);
        router.SendAsync(default!, default!, default).ReturnsForAnyArgs(RouterOutcome.Ok(200));
    }

    private ChatLease Hold(ChatState state, params RouterCall[] outbox)
    {
        var lease = new ChatLease(ChatId, "me", state, "v1");
        store.TryAcquireAsync(ChatId, Arg.Any<string>(), Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>()).Returns(new LeaseAttempt(lease, TimeSpan.Zero));
        store.ReadOutboxAsync(lease, Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns(outbox, (IReadOnlyList<RouterCall>)[]);
        store.CommitCallAsync(lease, Arg.Do<ChatState>(s => lease.State = s), Arg.Any<RouterCall>(), Arg.Any<CancellationToken>()).Returns(Task.CompletedTask);
        store.SaveAsync(lease, Arg.Do<ChatState>(s => lease.State = s), Arg.Any<CancellationToken>()).Returns(Task.CompletedTask);
        return lease;
    }

    [Fact]
    public async Task Calls_are_sent_in_outbox_order_and_each_is_committed_after_it_is_accepted()
    {
        var state = ChatState.New(ChatId, time.GetUtcNow());
        RouterCall[] calls = [new("a", RouterCallKind.Reply, "{}", 0, "a"), new("b", RouterCallKind.Mutation, "{}", 0, "b")];
        Hold(state, calls);

        await processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken);

        Received.InOrder(() =>
        {
            router.SendAsync(ChatId, calls[0], Arg.Any<CancellationToken>());
            store.CommitCallAsync(Arg.Any<ChatLease>(), Arg.Any<ChatState>(), calls[0], Arg.Any<CancellationToken>());
            router.SendAsync(ChatId, calls[1], Arg.Any<CancellationToken>());
            store.CommitCallAsync(Arg.Any<ChatLease>(), Arg.Any<ChatState>(), calls[1], Arg.Any<CancellationToken>());
        });
        await store.Received(1).ReleaseAsync(Arg.Any<ChatLease>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task A_reply_decided_before_a_take_over_is_never_sent()
    {
        var takenOver = ChatState.New(ChatId, time.GetUtcNow()).WithMode(RoutingMode.Agent);
        var staleReply = new RouterCall("r", RouterCallKind.Reply, "{}", takenOver.Epoch - 1, "reply");
        var disable = new RouterCall("m", RouterCallKind.Mutation, "{}", takenOver.Epoch, "disable");
        Hold(takenOver, staleReply, disable);

        await processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken);

        await router.DidNotReceive().SendAsync(ChatId, staleReply, Arg.Any<CancellationToken>());
        await router.Received(1).SendAsync(ChatId, disable, Arg.Any<CancellationToken>());
        await store.Received(1).CommitCallAsync(Arg.Any<ChatLease>(), Arg.Is<ChatState>(s => s.History[s.History.Count - 1].Action == "reply suppressed"), staleReply, Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task A_transient_router_failure_leaves_the_call_in_the_outbox_for_the_retry()
    {
        var call = new RouterCall("a", RouterCallKind.Reply, "{}", 0, "a");
        Hold(ChatState.New(ChatId, time.GetUtcNow()), call);
        router.SendAsync(ChatId, call, Arg.Any<CancellationToken>()).Returns<RouterOutcome>(_ => throw new RouterUnavailableException("503"));

        await Assert.ThrowsAsync<RouterUnavailableException>(() => processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken));

        await store.DidNotReceiveWithAnyArgs().CommitCallAsync(default!, default!, default!, default);
        await store.Received(1).ReleaseAsync(Arg.Any<ChatLease>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task A_busy_chat_leaves_one_signal_for_when_the_lease_ends_instead_of_failing()
    {
        store.TryAcquireAsync(ChatId, Arg.Any<string>(), Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>()).Returns(LeaseAttempt.Held(TimeSpan.FromSeconds(50)));

        await processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken);

        await signals.Received(1).SignalAsync(WorkStage.RouterCommands, ChatId, TimeSpan.FromSeconds(51), Arg.Any<CancellationToken>());
        await router.DidNotReceiveWithAnyArgs().SendAsync(default!, default!, default);
    }

    [Fact]
    public async Task A_call_CM_refuses_for_good_parks_the_chat_in_the_poison_queue_with_the_reason_and_keeps_the_call()
    {
        RouterCall[] calls = [new("a", RouterCallKind.Mutation, "{}", 0, "a"), new("b", RouterCallKind.Reply, "{}", 0, "b")];
        var lease = Hold(ChatState.New(ChatId, time.GetUtcNow()), calls);
        router.SendAsync(ChatId, calls[0], Arg.Any<CancellationToken>()).Returns(new RouterOutcome(false, 400, "errorCode 101: Authentication failed"));

        await processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken);

        await signals.Received(1).PoisonAsync(WorkStage.RouterCommands, ChatId, Arg.Any<CancellationToken>());
        await router.DidNotReceive().SendAsync(ChatId, calls[1], Arg.Any<CancellationToken>());
        await store.DidNotReceiveWithAnyArgs().CommitCallAsync(default!, default!, default!, default);
        Assert.Contains("Authentication failed", lease.State.LastFailure!.Error, StringComparison.Ordinal);
        Assert.Equal(WorkStage.RouterCommands, lease.State.LastFailure.Stage);
    }

    [Fact]
    public async Task A_transient_failure_is_noted_on_the_chat_and_cleared_once_the_stage_succeeds()
    {
        var call = new RouterCall("a", RouterCallKind.Reply, "{}", 0, "a");
        var lease = Hold(ChatState.New(ChatId, time.GetUtcNow()), call);
        router.SendAsync(ChatId, call, Arg.Any<CancellationToken>()).Returns<RouterOutcome>(_ => throw new RouterUnavailableException("503 from CM"), _ => RouterOutcome.Ok(200));

        await Assert.ThrowsAsync<RouterUnavailableException>(() => processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken));
        Assert.Equal(1, lease.State.LastFailure!.Attempts);
        Assert.Contains("503 from CM", lease.State.LastFailure.Error, StringComparison.Ordinal);

        store.ReadOutboxAsync(lease, Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns([call], (IReadOnlyList<RouterCall>)[]);
        await processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken);

        Assert.Null(lease.State.LastFailure);
    }

    [Fact]
    public async Task Work_that_arrived_while_the_chat_was_held_wakes_a_processor_once_it_is_released()
    {
        Hold(ChatState.New(ChatId, time.GetUtcNow()));
        store.HasPendingAsync(ChatId, WorkStage.RouterCommands, Arg.Any<CancellationToken>()).Returns(true);

        await processor.ProcessAsync(ChatId, TestContext.Current.CancellationToken);

        Received.InOrder(() =>
        {
            store.ReleaseAsync(Arg.Any<ChatLease>(), Arg.Any<CancellationToken>());
            store.HasPendingAsync(ChatId, WorkStage.RouterCommands, Arg.Any<CancellationToken>());
            signals.SignalAsync(WorkStage.RouterCommands, ChatId, TimeSpan.Zero, Arg.Any<CancellationToken>());
        });
    }
}
