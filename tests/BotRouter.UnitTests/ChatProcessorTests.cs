using System.Text.Json;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Contracts;
using BotRouter.Core.Flows;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;
using BotRouter.UnitTests.Kit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BotRouter.UnitTests;

public class ChatProcessorTests
{
    private static readonly ChatId Chat = ChatId.Parse(ChatTurnsTests.ChatId);
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
    private readonly ProcessingOptions options = new() { RefusalsBeforePause = 3 };
    private readonly InMemoryChatStore store;
    private readonly RecordingRouter router = new();
    private readonly RecordingSignals signals = new();
    private readonly ChatGate gate = new();
    private readonly RouteBreaker breaker;
    private readonly ChatProcessor processor;
    private int arrivals;

    public ChatProcessorTests()
    {
        store = new InMemoryChatStore(time, options.LeaseDuration);
        breaker = new RouteBreaker(Options.Create(options), time);
        var turns = new ChatTurns(new FlowsBot(new FlowBot(FlowSetValidator.LoadDefault())), Kit.TestRouter.Requests(), new GuidIdSource(), ConversationRules.Default);
        processor = new ChatProcessor(store, signals, router, turns, gate, breaker, Options.Create(options), time, NullLogger<ChatProcessor>.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<bool> ArriveAsync(string text, ChatId? chat = null) =>
        store.AppendAsync(chat ?? Chat, Item(ChatTurnsTests.Customer(text).Payload, InboxKind.Customer), null, Ct);

    private Task<bool> CommandAsync(OperatorCommand command) =>
        store.AppendAsync(Chat, Item(JsonSerializer.Serialize(command, CoreJson.Default.OperatorCommand), InboxKind.Operator), null, Ct);

    private InboxItem Item(string payload, InboxKind kind) => new($"{++arrivals:D6}", kind, payload, time.GetUtcNow());

    private Task ProcessAsync(ChatId? chat = null, bool replay = false) => processor.ProcessAsync(chat ?? Chat, replay, null, Ct);

    private IReadOnlyList<string> RepliesSent(ChatId? chat = null) =>
        [.. router.Sent.Where(s => s.ChatId == (chat ?? Chat) && s.Call.Kind == RouterCallKind.Reply)
            .Select(s => JsonSerializer.Deserialize(s.Call.Body!, CoreJson.Default.BmSendRequest)!.Messages.Msg.Single().Body.Content)];

    /// <summary>Router calls wait until the test releases them; the first task completes when one is in flight.</summary>
    private (TaskCompletionSource InFlight, TaskCompletionSource Release) HoldRouterCalls()
    {
        var inFlight = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        router.Answer = async _ =>
        {
            inFlight.TrySetResult();
            await release.Task;
            return RouterOutcome.Ok(200);
        };
        return (inFlight, release);
    }

    [Fact]
    public async Task A_message_is_answered_in_the_same_pass_and_the_chat_is_left_free_and_empty()
    {
        await ArriveAsync("hello");

        await ProcessAsync();

        Assert.Single(RepliesSent());
        var (inbox, outbox, held) = store.Peek(Chat);
        Assert.Empty(inbox);
        Assert.Empty(outbox);
        Assert.False(held);
        Assert.Equal(2, store.Commits); // the decision (taking the chat), then the calls done (letting go)
    }

    [Fact]
    public async Task Messages_are_answered_in_arrival_order()
    {
        await ArriveAsync("hello");
        await ArriveAsync("billing");

        await ProcessAsync();

        var replies = RepliesSent();
        Assert.Equal(2, replies.Count);
        Assert.Contains("virtual assistant", replies[0], StringComparison.Ordinal);
        Assert.DoesNotContain("virtual assistant", replies[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_in_agent_mode_is_recorded_with_one_commit_and_the_router_is_not_called()
    {
        await CommandAsync(new OperatorCommand { Action = OperatorAction.TakeOver });
        await ProcessAsync();
        var callsBefore = router.Sent.Count;
        var commitsBefore = store.Commits;

        await ArriveAsync("are you there?");
        await ProcessAsync();

        Assert.Equal(callsBefore, router.Sent.Count);
        Assert.Equal(commitsBefore + 1, store.Commits);
        Assert.Equal("recorded; an agent owns the chat", (await store.GetAsync(Chat, Ct))!.History[^1].Outcome);
    }

    [Fact]
    public async Task A_router_outage_keeps_the_decided_reply_and_the_retry_sends_it_without_deciding_again()
    {
        await ArriveAsync("hello");
        router.Answer = _ => throw new RouterUnavailableException("down");

        await ProcessAsync();

        var (inbox, outbox, held) = store.Peek(Chat);
        Assert.Empty(inbox);
        var decided = Assert.Single(outbox);
        Assert.False(held);
        Assert.Contains("down", (await store.GetAsync(Chat, Ct))!.LastFailure!.Error, StringComparison.Ordinal);
        Assert.Equal((Chat, TimeSpan.FromSeconds(2)), Assert.Single(signals.Signals)); // the chat comes back later

        router.Answer = null;
        await ProcessAsync();

        Assert.Equal(decided.Id, router.Sent[^1].Call.Id);
        Assert.Single(RepliesSent());
        Assert.Empty(store.Peek(Chat).Outbox);
        Assert.Null((await store.GetAsync(Chat, Ct))!.LastFailure);
    }

    [Fact]
    public async Task A_router_down_for_longer_than_the_retry_budget_poisons_the_chat_once_with_growing_waits_between()
    {
        await ArriveAsync("hello");
        router.Answer = _ => throw new RouterUnavailableException("down");

        for (var i = 0; i < options.RetryAttempts; i++)
        {
            await ProcessAsync();
        }

        Assert.Equal([2, 4, 8, 16, 32, 64, 128], signals.Signals.Select(s => (int)s.Delay.TotalSeconds));
        Assert.Equal([Chat], signals.Poisoned);
        Assert.Equal(options.RetryAttempts, (await store.GetAsync(Chat, Ct))!.LastFailure!.Attempts);
        Assert.Single(store.Peek(Chat).Outbox);

        router.Answer = null;
        await ProcessAsync(replay: true);
        Assert.Empty(store.Peek(Chat).Outbox);
        Assert.Null((await store.GetAsync(Chat, Ct))!.LastFailure);
    }

    [Fact]
    public async Task A_reply_decided_before_a_take_over_goes_out_before_the_disable_mutation_never_after()
    {
        await ArriveAsync("hello");
        router.Answer = _ => throw new RouterUnavailableException("down");
        await ProcessAsync();
        await CommandAsync(new OperatorCommand { Action = OperatorAction.TakeOver });
        await ArriveAsync("still there?");
        router.Answer = null;

        await ProcessAsync();

        // In arrival order: the message the bot answered in bot mode, then the take-over; nothing after it.
        Assert.Equal([RouterCallKind.Reply, RouterCallKind.Mutation], router.Sent.Select(s => s.Call.Kind));
        var state = (await store.GetAsync(Chat, Ct))!;
        Assert.Equal(RoutingMode.Agent, state.Mode);
        Assert.Equal("recorded; an agent owns the chat", state.History.Last(h => h.Actor == Actors.Customer).Outcome);
        Assert.Empty(store.Peek(Chat).Outbox);
    }

    [Fact]
    public async Task A_refused_call_parks_the_chat_once_and_later_messages_wait_until_a_replay()
    {
        await ArriveAsync("hello");
        router.Answer = _ => Task.FromResult(new RouterOutcome(false, 404, "no such route"));

        await ProcessAsync();
        await ArriveAsync("billing");
        await ProcessAsync();
        await ProcessAsync();

        Assert.Single(router.Sent);
        Assert.Equal([Chat], signals.Poisoned);
        var parked = (await store.GetAsync(Chat, Ct))!.LastFailure!;
        Assert.True(parked.Parked);
        Assert.Contains("404", parked.Error, StringComparison.Ordinal);
        Assert.Single(store.Peek(Chat).Inbox);

        router.Answer = null;
        await ProcessAsync(replay: true);

        // The refused attempt, the same reply again on the replay, then the waiting message's answer.
        var replies = router.Sent.Where(s => s.Call.Kind == RouterCallKind.Reply).Select(s => s.Call.Id).ToList();
        Assert.Equal(3, replies.Count);
        Assert.Equal(replies[0], replies[1]);
        Assert.Null((await store.GetAsync(Chat, Ct))!.LastFailure);
        Assert.Empty(store.Peek(Chat).Inbox);
    }

    [Fact]
    public async Task When_every_chat_is_refused_a_call_kind_is_paused_and_not_made()
    {
        router.Answer = _ => Task.FromResult(new RouterOutcome(false, 401, "bad token"));
        var chats = Enumerable.Range(0, 5).Select(_ => ChatId.New()).ToList();
        foreach (var chat in chats)
        {
            await ArriveAsync("hello", chat);
            await ProcessAsync(chat);
        }

        Assert.Equal(options.RefusalsBeforePause, router.Sent.Count);
        Assert.Equal(chats, signals.Poisoned);
        var paused = Assert.Single(breaker.Paused());
        Assert.Equal(RouterCallKind.Reply, paused.Kind);
        Assert.Contains("paused", (await store.GetAsync(chats[^1], Ct))!.LastFailure!.Error, StringComparison.Ordinal);

        time.Advance(options.RefusalPause + TimeSpan.FromSeconds(1));
        Assert.Empty(breaker.Paused());
    }

    [Fact]
    public async Task A_chat_held_elsewhere_is_looked_at_again_shortly_and_nothing_is_sent()
    {
        await ArriveAsync("hello");
        store.HoldElsewhere(Chat);

        await ProcessAsync();

        Assert.Empty(router.Sent);
        var (chat, delay) = Assert.Single(signals.Signals);
        Assert.Equal(Chat, chat);
        Assert.Equal(TimeSpan.FromSeconds(1), delay);
    }

    [Fact]
    public async Task A_second_signal_while_the_chat_is_processed_here_is_handled_by_the_holder()
    {
        await ArriveAsync("hello");
        var (inFlight, release) = HoldRouterCalls();

        var first = ProcessAsync();
        await inFlight.Task;
        await ArriveAsync("billing");
        await ProcessAsync(); // returns at once: noted for the holder
        Assert.Empty(router.Sent);
        release.SetResult();
        await first;

        Assert.Equal(2, RepliesSent().Count);
        Assert.Empty(signals.Signals);
        Assert.Empty(store.Peek(Chat).Inbox);
    }

    /// <summary>
    /// The soak's one "decided twice": an operator's hand-back stored, its 202 lost (worker kill, storage outage),
    /// posted again. Without a key it is stored twice and the bot answers the hand-back twice; with the same
    /// Idempotency-Key the repeat is a duplicate: one enable mutation, one hand-back answer.
    /// </summary>
    [Fact]
    public async Task An_operator_command_posted_again_with_the_same_idempotency_key_takes_effect_once()
    {
        var intake = new OperatorIntake(store, new GuidIdSource(), time, new BotRouter.Core.Bots.FlowsBot(new FlowBot(FlowSetValidator.LoadDefault())));
        await ArriveAsync("hi");
        Assert.IsType<IntakeResult.Accepted>(await intake.SubmitAsync(Chat, new OperatorCommand { Action = OperatorAction.TakeOver }, "take-1", Ct));
        await ProcessAsync();
        var before = router.Sent.Count;

        Assert.IsType<IntakeResult.Accepted>(await intake.SubmitAsync(Chat, new OperatorCommand { Action = OperatorAction.HandBack, FlowId = "main", StepId = "welcome" }, "back-1", Ct));
        Assert.IsType<IntakeResult.Duplicate>(await intake.SubmitAsync(Chat, new OperatorCommand { Action = OperatorAction.HandBack, FlowId = "main", StepId = "welcome" }, "back-1", Ct));
        await ProcessAsync();

        var after = router.Sent.Skip(before).ToList();
        Assert.Single(after, s => s.Call.Kind == RouterCallKind.Mutation); // the enable mutation
        Assert.Single(after, s => s.Call.Kind == RouterCallKind.Position);
        Assert.Equal(await RepliesAfterOneHandBackAsync(), after.Count(s => s.Call.Kind == RouterCallKind.Reply));
        Assert.True(await intake.SubmitAsync(Chat, new OperatorCommand { Action = OperatorAction.TakeOver }, "take-2", Ct) is IntakeResult.Accepted, "another key is another command");
    }

    /// <summary>What the bot says to one hand-back, through a fresh chat processed the same way.</summary>
    private static async Task<int> RepliesAfterOneHandBackAsync()
    {
        var reference = new ChatProcessorTests();
        var intake = new OperatorIntake(reference.store, new GuidIdSource(), reference.time, new BotRouter.Core.Bots.FlowsBot(new FlowBot(FlowSetValidator.LoadDefault())));
        await reference.ArriveAsync("hi");
        await intake.SubmitAsync(Chat, new OperatorCommand { Action = OperatorAction.TakeOver }, null, Ct);
        await reference.ProcessAsync();
        var before = reference.router.Sent.Count;
        await intake.SubmitAsync(Chat, new OperatorCommand { Action = OperatorAction.HandBack, FlowId = "main", StepId = "welcome" }, null, Ct);
        await reference.ProcessAsync();
        var replies = reference.router.Sent.Skip(before).Count(s => s.Call.Kind == RouterCallKind.Reply);
        Assert.True(replies > 0, "the bot answers a hand-back to a step");
        return replies;
    }

    [Fact]
    public async Task The_hold_is_renewed_while_a_slow_call_runs()
    {
        await ArriveAsync("hello");
        var (inFlight, release) = HoldRouterCalls();

        var run = ProcessAsync();
        await inFlight.Task;
        for (var i = 0; i < 6; i++)
        {
            time.Advance(options.LeaseDuration / 3);
            await Task.Delay(20, Ct);
        }

        Assert.True(store.Peek(Chat).Held); // two hold durations later, still held: renewed
        release.SetResult();
        await run;
        Assert.False(store.Peek(Chat).Held);
    }

    /// <summary>
    /// Storage fails while a router call is in flight: the hold cannot be renewed. Giving up on the chat then (the
    /// call still running, its outcome never recorded) left the call in the outbox although the router accepted it,
    /// and the retry sent it again. The processor waits for the call it made (it has its own time-out), records it
    /// and lets go; the retry finds nothing to resend.
    /// </summary>
    [Fact]
    public async Task A_call_in_flight_when_the_hold_cannot_be_renewed_is_recorded_not_sent_again()
    {
        await ArriveAsync("hello");
        var (inFlight, release) = HoldRouterCalls();
        store.FailRenewals = 1;

        var run = ProcessAsync();
        await inFlight.Task;
        time.Advance(options.LeaseDuration / 3);
        await Task.Delay(50, Ct);
        release.SetResult();
        try
        {
            await run;
        }
        catch (StorageUnavailableException)
        {
            // Before the fix: the renewal's failure ended the pass with the call unrecorded.
        }

        router.Answer = _ => Task.FromResult(RouterOutcome.Ok(200));
        await ProcessAsync(); // the queue's retry of the signal
        Assert.Single(RepliesSent());
        Assert.Empty(store.Peek(Chat).Outbox);
    }

    /// <summary>
    /// Storage goes down right after the router accepted a reply and stays down for longer than a hold: the
    /// processor keeps trying to record the reply (its commit is conditioned on what it read, so landing late is
    /// safe) instead of giving up when its hold runs out, which let the retry send the same reply again.
    /// </summary>
    [Fact]
    public async Task A_call_made_before_a_storage_outage_longer_than_the_hold_is_recorded_when_storage_returns()
    {
        await ArriveAsync("hello");
        var (inFlight, release) = HoldRouterCalls();

        var run = ProcessAsync();
        await inFlight.Task;
        store.DownUntil = time.GetUtcNow() + (options.LeaseDuration * 2);
        release.SetResult();
        while (!run.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(5, Ct);
        }

        await Assert.ThrowsAsync<StorageUnavailableException>(() => run); // the pass failed; the queue retries it
        Assert.Empty(store.Peek(Chat).Outbox); // but the reply the router accepted was recorded
        Assert.False(store.Peek(Chat).Held);

        router.Answer = null;
        await ProcessAsync();
        Assert.Single(RepliesSent());
    }

    /// <summary>
    /// The attempt timed out, but CM had taken the reply: its status report for the reply's reference arrives
    /// before the retry. The retry records the reply as sent instead of sending it a second time; a reply without a
    /// report is still sent.
    /// </summary>
    [Fact]
    public async Task A_reply_whose_status_report_arrived_is_not_sent_again_by_the_retry()
    {
        await ArriveAsync("hello");
        router.Answer = _ => throw new RouterUnavailableException("the attempt timed out");
        await ProcessAsync();
        var decided = Assert.Single(store.Peek(Chat).Outbox);
        var reference = BotRouter.Core.Delivery.ReplyReference.For(Chat, decided.Id);
        await store.RecordDeliveryAsync(Chat, new BotRouter.Core.Delivery.DeliveryReport(reference, BotRouter.Core.Delivery.DeliveryStatus.Delivered, time.GetUtcNow(), null, null), Ct);

        router.Answer = null;
        var attempts = router.Sent.Count;
        await ProcessAsync();

        Assert.Equal(attempts, router.Sent.Count); // nothing sent again
        Assert.Empty(store.Peek(Chat).Outbox);
        var state = (await store.GetAsync(Chat, Ct))!;
        Assert.Null(state.LastFailure);
        Assert.Contains(state.History, h => h.Reference == reference && h.Outcome.Contains("already at CM", StringComparison.Ordinal));

        await ArriveAsync("hello again");
        await ProcessAsync();
        Assert.Equal(attempts + 1, router.Sent.Count); // the next reply, without a report, goes out
    }

    /// <summary>
    /// A bot that does I/O (HoldBeforeDeciding, as for the REST and LLM bots) is slow on the second of two messages.
    /// The first message's reply, already accepted by the router, is recorded before the bot is asked again, so a
    /// crash while the bot thinks leaves nothing in the outbox to send twice.
    /// </summary>
    [Fact]
    public async Task With_a_bot_that_does_io_what_was_sent_is_recorded_before_the_bot_is_asked_again()
    {
        options.HoldBeforeDeciding = true;
        var bot = new SecondTurnWaits(new FlowsBot(new FlowBot(FlowSetValidator.LoadDefault())));
        var turns = new ChatTurns(bot, Kit.TestRouter.Requests(), new GuidIdSource(), ConversationRules.Default);
        var slowBotProcessor = new ChatProcessor(store, signals, router, turns, gate, breaker, Options.Create(options), time, NullLogger<ChatProcessor>.Instance);
        await ArriveAsync("hello");
        await ArriveAsync("1");

        var run = slowBotProcessor.ProcessAsync(Chat, false, null, Ct);
        await bot.SecondTurnAsked.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Single(RepliesSent()); // the first message's reply went out
        var (inbox, outbox, held) = store.Peek(Chat);
        Assert.Empty(outbox); // and is recorded as done while the bot is still thinking
        Assert.True(held);
        Assert.Single(inbox); // the second message is still to be handled

        bot.Release.SetResult();
        await run;
        Assert.Equal(2, RepliesSent().Count);
        Assert.False(store.Peek(Chat).Held);
    }

    /// <summary>Answers as the inner bot does; its second turn waits until the test releases it.</summary>
    private sealed class SecondTurnWaits(IBot inner) : IBot
    {
        private int asked;

        public TaskCompletionSource SecondTurnAsked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FlowSet? Flows => inner.Flows;

        public async Task<BotAnswer> AnswerAsync(BotInput input, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref asked) == 2)
            {
                SecondTurnAsked.SetResult();
                await Release.Task.WaitAsync(cancellationToken);
            }

            return await inner.AnswerAsync(input, cancellationToken);
        }
    }
}
