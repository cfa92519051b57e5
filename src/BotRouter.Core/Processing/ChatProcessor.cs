using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BotRouter.Core.Processing;

/// <summary>
/// One hop per message: while it holds the chat, the processor handles the inbox in arrival order, commits
/// each decision (state + outbox − inbox, one transaction) and makes the decided router calls itself, in
/// order, committing them as done together with the next decision (the last commit lets go of the chat).
/// Decisions are never re-made: a call that fails transiently stays in the outbox and the queue retries the
/// signal, which sends it first. A reply is sent only while the routing epoch it was decided in is current.
/// A call the router refuses for good parks the chat (poison queue) until an operator replays it.
/// </summary>
public sealed partial class ChatProcessor(
    IChatStore store,
    IWorkSignals signals,
    IRouterClient router,
    ChatTurns turns,
    ChatGate gate,
    RouteBreaker breaker,
    IOptions<ProcessingOptions> options,
    TimeProvider time,
    ILogger<ChatProcessor> logger)
{
    /// <summary>Queue visibility delays have a resolution of one second; anything less is sent as zero.</summary>
    private static readonly TimeSpan BusyRetry = TimeSpan.FromSeconds(1);

    /// <summary>How often a failing processor tries again to record what it did, while storage is down.</summary>
    private static readonly TimeSpan LetGoRetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly IChatStore store = store;
    private readonly IWorkSignals signals = signals;
    private readonly IRouterClient router = router;
    private readonly ChatTurns turns = turns;
    private readonly RouteBreaker breaker = breaker;
    private readonly IOptions<ProcessingOptions> options = options;
    private readonly TimeProvider time = time;

    public async Task ProcessAsync(ChatId chatId, bool replay, string? traceParent, CancellationToken cancellationToken)
    {
        using var activity = BotRouterTelemetry.StartHop("chat process", System.Diagnostics.ActivityKind.Consumer, traceParent, chatId.ToString());
        if (!gate.TryEnter(chatId))
        {
            // Another signal of this chat is being handled in this process: it reads the chat again before it stops.
            LogNoted(chatId);
            return;
        }

        try
        {
            do
            {
                while (await new Run(this, await store.ReadWorkAsync(chatId, cancellationToken), cancellationToken).ExecuteAsync(replay))
                {
                    replay = false;
                }

                replay = false;
            }
            while (gate.LookAgainOrLeave(chatId));
        }
        catch
        {
            gate.Leave(chatId);
            throw;
        }
    }

    /// <summary>One pass over a chat as read: its mutable progress lives here, never in the store's bookkeeping.</summary>
    private sealed class Run(ChatProcessor p, ChatWork work, CancellationToken cancellationToken)
    {
        private readonly List<RouterCall> done = [];
        private ProcessingFailure? previousFailure;
        private ChatState state = work.State;
        private bool holding;
        private bool changed;

        private ChatId ChatId => work.ChatId;

        /// <returns>True when the inbox had more than one read returns: read the chat again.</returns>
        public async Task<bool> ExecuteAsync(bool replay)
        {
            if (work.HeldUntil is { } until && until > p.time.GetUtcNow())
            {
                // Held by a processor elsewhere (or one that died, until its hold runs out): look again shortly.
                p.LogBusy(ChatId, until);
                await p.signals.SignalAsync(ChatId, BusyRetry, cancellationToken);
                return false;
            }

            if (state.LastFailure is { Parked: true })
            {
                if (!replay)
                {
                    // New messages wait in the inbox, in order, behind the refused call; only a replay tries it again.
                    p.LogParked(ChatId);
                    return false;
                }

                state = state.Record(p.time.GetUtcNow(), Actors.Operator, "replay", "the refused call is tried again");
            }

            // A replay starts the retry budget afresh.
            previousFailure = replay ? null : work.State.LastFailure;
            if (state.LastFailure is not null)
            {
                // Getting through now overcomes the failure; if this pass fails too, the note counts on from the old one.
                state = state with { LastFailure = null };
                changed = true;
            }

            try
            {
                var pending = new Queue<RouterCall>(await NotYetAtCmAsync(work.Outbox));
                var inbox = new Queue<InboxItem>(work.Inbox);

                while (true)
                {
                    if (!await SendAsync(pending))
                    {
                        return false;
                    }

                    if (!inbox.TryDequeue(out var item))
                    {
                        break;
                    }

                    // A bot that does I/O may take seconds: take the chat before asking it, and record the calls the
                    // previous turn sent first, so a crash during the bot's turn resends none of them.
                    if (p.options.Value.HoldBeforeDeciding && (!holding || done.Count > 0))
                    {
                        await CommitAsync(state, null, [], release: false);
                    }

                    var before = state.Mode;
                    var result = await HeldAsync(ct => p.turns.ApplyAsync(state, item, p.time.GetUtcNow(), ct));
                    var last = inbox.Count == 0 && !work.HasMore;
                    await CommitAsync(result.State, item, result.Calls, release: last && result.Calls.Count == 0);
                    if (before != RoutingMode.Agent && result.State.Mode == RoutingMode.Agent)
                    {
                        BotRouterTelemetry.HandOvers.Add(1);
                    }

                    Count(result.Events);

                    p.LogTurn(ChatId, item.Kind, result.State.Mode, result.Calls.Count);
                    foreach (var call in result.Calls)
                    {
                        pending.Enqueue(call);
                    }
                }

                if (holding || done.Count > 0 || changed)
                {
                    await CommitAsync(state, null, [], release: true);
                }

                return work.HasMore;
            }
            catch (LeaseLostException)
            {
                // Another processor committed first (a race for a free chat, or our hold ran out): it re-reads and
                // re-decides what we did not commit. Look again shortly, in case it read before our message arrived.
                p.LogLost(ChatId);
                await p.signals.SignalAsync(ChatId, BusyRetry, cancellationToken);
                return false;
            }
            catch (OperationCanceledException)
            {
                // Shutting down or timed out: keep what was done and let go, so the retried signal need not wait.
                await LetGoAsync(state);
                throw;
            }
            catch (Exception e) when (e is RouterUnavailableException or Bots.BotUnavailableException)
            {
                // The router or the bot is down for now: the decided calls wait in the outbox, and the chat's signal
                // comes back later and later (the queue's own five quick retries would poison every chat of an
                // outage longer than half a minute). Poisoned only after the retry budget, for an operator to replay.
                var failure = ProcessingFailure.Note(previousFailure, $"{e.GetType().Name}: {e.Message}", p.time.GetUtcNow(), parked: false);
                if (!await LetGoAsync(state with { LastFailure = failure }))
                {
                    throw;
                }

                if (failure.Attempts >= p.options.Value.RetryAttempts)
                {
                    p.LogGaveUp(e, ChatId, failure.Attempts);
                    await p.signals.PoisonAsync(ChatId, cancellationToken);
                    BotRouterTelemetry.Poisoned.Add(1);
                    return false;
                }

                var delay = p.RetryDelay(failure.Attempts);
                p.LogRetryLater(ChatId, failure.Attempts, delay, e.Message);
                await p.signals.SignalAsync(ChatId, delay, cancellationToken);
                return false;
            }
            catch (Exception e)
            {
                await LetGoAsync(state with { LastFailure = ProcessingFailure.Note(previousFailure, $"{e.GetType().Name}: {e.Message}", p.time.GetUtcNow(), parked: false) });
                throw;
            }
        }

        private static void Count(IReadOnlyList<ConversationEvent> events)
        {
            foreach (var e in events)
            {
                switch (e.Kind)
                {
                    case ConversationEventKind.SessionExpired:
                        BotRouterTelemetry.SessionsExpired.Add(1);
                        break;
                    case ConversationEventKind.AutomaticHandBack:
                        BotRouterTelemetry.AutomaticHandBacks.Add(1);
                        break;
                    case ConversationEventKind.HandOverOutsideHours or ConversationEventKind.BotKeptOutsideHours:
                        BotRouterTelemetry.HandOversOutsideHours.Add(
                            1,
                            new KeyValuePair<string, object?>("team", e.Team),
                            new KeyValuePair<string, object?>("outcome", e.Kind == ConversationEventKind.BotKeptOutsideHours ? "keep-bot" : "handover"));
                        break;
                }
            }
        }

        /// <summary>
        /// A reply left in the outbox by an earlier pass may have reached CM all the same: the attempt timed out
        /// after CM took it, or the processor died before it recorded the acceptance. CM's status report for the
        /// reply's reference (<c>POST /api/status</c>) proves it arrived; such a reply is recorded as sent, not sent
        /// twice. Only a pass that finds replies from an earlier pass reads the reports (one query).
        /// </summary>
        private async Task<IEnumerable<RouterCall>> NotYetAtCmAsync(IReadOnlyList<RouterCall> outbox)
        {
            if (!outbox.Any(c => c.Kind == RouterCallKind.Reply))
            {
                return outbox;
            }

            var deliveries = await p.store.GetDeliveriesAsync(ChatId, cancellationToken);
            var arrived = new List<RouterCall>();
            foreach (var call in outbox.Where(c => c.Kind == RouterCallKind.Reply))
            {
                var reference = Delivery.ReplyReference.For(ChatId, call.Id);
                if (deliveries.TryGetValue(reference, out var status))
                {
                    p.LogAlreadyAtCm(ChatId, call.Id, status);
                    state = state.Record(p.time.GetUtcNow(), Actors.Router, "reply", $"already at CM (status report: {status.ToString().ToLowerInvariant()}), not sent again", reference);
                    arrived.Add(call);
                }
            }

            done.AddRange(arrived);
            changed |= arrived.Count > 0;
            return outbox.Except(arrived);
        }

        /// <returns>False when a call was refused for good and the chat is now parked.</returns>
        private async Task<bool> SendAsync(Queue<RouterCall> pending)
        {
            while (pending.TryDequeue(out var call))
            {
                var kind = call.Kind.ToString().ToLowerInvariant();
                if (call.Kind == RouterCallKind.Reply && call.Epoch != state.Epoch)
                {
                    p.LogSuppressed(ChatId, call.Id);
                    state = state.Record(p.time.GetUtcNow(), Actors.Bot, "reply suppressed", $"{call.Summary}: routing changed since it was decided");
                    done.Add(call);
                    continue;
                }

                if (p.breaker.PausedFor(call.Kind) is { } pause)
                {
                    await ParkAsync(call, $"{kind} calls are paused until {pause.Until:u}: the Bot Router refused them for every chat ({pause.LastRefusal})", "not sent: paused");
                    return false;
                }

                if (!holding)
                {
                    // Never send without holding the chat: a second processor would send the same call.
                    await CommitAsync(state, null, [], release: false);
                }

                var outcome = await HeldAsync(ct => p.router.SendAsync(ChatId, call, ct));
                if (!outcome.Accepted)
                {
                    var reason = $"{call.Kind} refused by the Bot Router ({outcome.StatusCode}): {outcome.Detail}";
                    p.breaker.Refused(call.Kind, reason);
                    p.LogRejected(ChatId, call.Kind, call.Id, outcome.StatusCode, outcome.Detail);
                    await ParkAsync(call, reason, $"refused ({outcome.StatusCode}): {outcome.Detail}");
                    return false;
                }

                p.breaker.Accepted(call.Kind);
                if (call.Kind == RouterCallKind.Reply)
                {
                    BotRouterTelemetry.RepliesSent.Add(1);
                }

                p.LogSent(ChatId, call.Kind, call.Id);
                state = state.Record(p.time.GetUtcNow(), Actors.Router, kind, "accepted", call.Kind == RouterCallKind.Reply ? Delivery.ReplyReference.For(ChatId, call.Id) : null);
                done.Add(call);
            }

            return true;
        }

        /// <summary>
        /// The call stays first in the outbox (later calls must not overtake it); the chat waits in the poison
        /// queue, with the reason, until an operator fixes the cause and replays it.
        /// </summary>
        private async Task ParkAsync(RouterCall call, string reason, string outcome)
        {
            var now = p.time.GetUtcNow();
            var parked = state.Record(now, Actors.Router, call.Kind.ToString().ToLowerInvariant(), outcome)
                with { LastFailure = ProcessingFailure.Note(previousFailure, reason, now, parked: true) };
            await CommitAsync(parked, null, [], release: true);
            await p.signals.PoisonAsync(ChatId, cancellationToken);
            BotRouterTelemetry.Poisoned.Add(1);
        }

        private async Task CommitAsync(ChatState next, InboxItem? handled, IReadOnlyList<RouterCall> added, bool release)
        {
            await p.store.CommitAsync(work, new ChatCommit(next, [.. done], handled, added, release), cancellationToken);
            state = next;
            done.Clear();
            holding = !release;
            changed = false;
        }

        /// <summary>
        /// After a failure: record what was done (and why it failed) and release the chat. Storage may be down
        /// too: keep trying while the hold is still ours (nobody else can commit meanwhile). When router calls
        /// were made but not yet recorded, keep trying for three hold durations, because the next processor
        /// would send them again: trying past the hold is safe, the commit is conditioned on the ETag read, so
        /// it lands only when nobody has written the chat since (a processor taking the chat over writes it
        /// before it sends anything, and then this commit is refused).
        /// </summary>
        /// <returns>False when it could not be recorded; the hold then runs out and the queue retries.</returns>
        private async Task<bool> LetGoAsync(ChatState last)
        {
            if (!holding && done.Count == 0 && last.LastFailure == work.State.LastFailure && !changed)
            {
                return true;
            }

            var giveUp = p.time.GetUtcNow() + (p.options.Value.LeaseDuration * (done.Count > 0 ? 3 : 0.8));
            while (true)
            {
                try
                {
                    await p.store.CommitAsync(work, new ChatCommit(last, [.. done], null, [], Release: true), CancellationToken.None);
                    holding = false;
                    done.Clear();
                    return true;
                }
                catch (StorageUnavailableException e) when (holding && p.time.GetUtcNow() < giveUp)
                {
                    p.LogLetGoRetry(e.Message, ChatId);
                    await Task.Delay(LetGoRetryDelay, p.time, CancellationToken.None);
                }
                catch (Exception e) when (e is StorageUnavailableException or LeaseLostException)
                {
                    p.LogLetGoFailed(e, ChatId);
                    return false;
                }
            }
        }

        /// <summary>Runs a call that may be slow (the router, a remote bot), renewing the hold meanwhile.</summary>
        private async Task<T> HeldAsync<T>(Func<CancellationToken, Task<T>> call)
        {
            var task = call(cancellationToken);
            if (!holding)
            {
                return await task;
            }

            using var renewals = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var every = p.options.Value.LeaseDuration / 3;
            while (true)
            {
                var winner = await Task.WhenAny(task, Task.Delay(every, p.time, renewals.Token));
                if (winner == task)
                {
                    await renewals.CancelAsync();
                    return await task;
                }

                try
                {
                    await p.store.RenewAsync(work, cancellationToken);
                }
                catch (StorageUnavailableException e)
                {
                    // The call is out already: wait for its outcome (it has its own time-out) so it can be recorded.
                    // Giving up now left a call the router accepted in the outbox, sent again by the next attempt;
                    // the commit that follows is conditioned on the read as ever, so a lost hold still shows there.
                    p.LogRenewFailed(ChatId, e.Message);
                }
            }
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Chat {ChatId} is held elsewhere until {Until}; looking again shortly")]
    private partial void LogBusy(ChatId chatId, DateTimeOffset until);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Chat {ChatId} is being processed here; noted for another look")]
    private partial void LogNoted(ChatId chatId);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Chat {ChatId} was changed by another processor; looking again shortly")]
    private partial void LogLost(ChatId chatId);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Could not record the failure on chat {ChatId}; its hold will run out")]
    private partial void LogLetGoFailed(Exception e, ChatId chatId);

    /// <summary>2 s, 4 s, 8 s, ... up to <see cref="ProcessingOptions.RetryDelayMax"/>.</summary>
    private TimeSpan RetryDelay(int attempts) =>
        TimeSpan.FromSeconds(Math.Min(Math.Pow(2, Math.Min(attempts, 20)), options.Value.RetryDelayMax.TotalSeconds));

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Chat {ChatId}: attempt {Attempts} failed ({Reason}); trying again in {Delay}")]
    private partial void LogRetryLater(ChatId chatId, int attempts, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Error, Message = "Chat {ChatId}: gave up after {Attempts} attempts; the signal waits in the poison queue for a replay")]
    private partial void LogGaveUp(Exception e, ChatId chatId, int attempts);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "Storage failed while recording the failure on chat {ChatId} ({Reason}); trying again while the chat is held")]
    private partial void LogLetGoRetry(string reason, ChatId chatId);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Warning, Message = "Chat {ChatId}: could not renew the hold ({Reason}); waiting for the call in flight to record its outcome")]
    private partial void LogRenewFailed(ChatId chatId, string reason);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Chat {ChatId} is parked on a refused call; new messages wait for a replay")]
    private partial void LogParked(ChatId chatId);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Chat {ChatId}: {Kind} handled, mode {Mode}, {Calls} router call(s) to make")]
    private partial void LogTurn(ChatId chatId, InboxKind kind, RoutingMode mode, int calls);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Chat {ChatId}: {Kind} {CallId} accepted by the router")]
    private partial void LogSent(ChatId chatId, RouterCallKind kind, string callId);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "Chat {ChatId}: reply {CallId} already reached CM (status report: {Status}); not sent again")]
    private partial void LogAlreadyAtCm(ChatId chatId, string callId, Delivery.DeliveryStatus status);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Chat {ChatId}: reply {CallId} suppressed, routing changed since it was decided")]
    private partial void LogSuppressed(ChatId chatId, string callId);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "Chat {ChatId}: {Kind} {CallId} refused by the router ({Status}): {Detail}")]
    private partial void LogRejected(ChatId chatId, RouterCallKind kind, string callId, int status, string detail);
}
