using System.Text.Json;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;
using BotRouter.Core.Flows;
using BotRouter.Core.Hours;
using BotRouter.Core.Routing;

namespace BotRouter.Core.Processing;

/// <summary>The outcome of one inbox item: the chat's new state and the router calls to make, in order.</summary>
public sealed record TurnResult(ChatState State, IReadOnlyList<RouterCall> Calls)
{
    /// <summary>What the turn decided about the conversation's life (a session expired, ...), to be counted once committed.</summary>
    public IReadOnlyList<ConversationEvent> Events { get; init; } = [];
}

/// <summary>
/// Decides what one inbox item (a customer message or an operator command) does to a chat. The app owns routing
/// here, whatever the bot: agent mode never asks the bot, a bot's hand-over becomes its texts then the disable
/// mutation, operator commands change routing before the bot hears of them. Around the bot, by
/// <see cref="ConversationRules"/>: a long silence starts a new session, an agent-mode chat left idle is handed
/// back when the customer writes, and a hand-over outside its team's opening hours says when agents are back (or
/// does not happen). Only the bot may do I/O; time comes in as arrival and <c>now</c>, never from a clock.
/// </summary>
public sealed class ChatTurns(IBot bot, RouterRequests requests, IIdSource ids, ConversationRules rules)
{
    private static readonly IReadOnlyDictionary<string, string> NoContext = new Dictionary<string, string>();

    /// <summary>
    /// The seam the processor calls. Throws <see cref="BotUnavailableException"/> when the bot cannot answer
    /// now; nothing was decided, so the whole item may be retried.
    /// </summary>
    /// <remarks>
    /// Silences (session expiry, idle hand-overs) are measured between arrivals (<see cref="InboxItem.ReceivedUtc"/>), not between
    /// processing times, so a backlog (an outage, a parked chat replayed the next day) never expires a session.
    /// </remarks>
    public Task<TurnResult> ApplyAsync(ChatState state, InboxItem item, DateTimeOffset now, CancellationToken cancellationToken) => item.Kind switch
    {
        InboxKind.Customer => CustomerAsync(state, JsonSerializer.Deserialize(item.Payload, CoreJson.Default.MoMessage)!, item.ReceivedUtc, now, cancellationToken),
        InboxKind.Operator => OperatorAsync(state, JsonSerializer.Deserialize(item.Payload, CoreJson.Default.OperatorCommand)!, item.ReceivedUtc, now, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(item), item.Kind, "Unknown inbox item kind."),
    };

    private async Task<TurnResult> CustomerAsync(ChatState state, MoMessage mo, DateTimeOffset arrived, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lastActive = Latest(state.LastCustomerUtc, state.LastRoutingUtc);
        state = state with
        {
            Channel = mo.Channel ?? state.Channel,
            CustomerNumber = mo.From?.Number ?? state.CustomerNumber,
            BusinessNumber = mo.To?.Number ?? state.BusinessNumber,
            LastCustomerUtc = Latest(state.LastCustomerUtc, arrived),
        };
        var what = mo.Message?.Text is { Length: > 0 } ? "message" : mo.Message?.Media?.MediaUri is not null ? "media" : "empty message";
        var silence = lastActive is { } last ? arrived - last : TimeSpan.Zero;
        List<RouterCall> calls = [];
        List<ConversationEvent> events = [];
        var newSession = false;
        if (state.Mode == RoutingMode.Agent)
        {
            if (rules.AgentIdleTimeout is not { } idle || silence <= idle)
            {
                return new TurnResult(state.Record(now, Actors.Customer, what, "recorded; an agent owns the chat"), []);
            }

            // Handed over and then left: neither the customer nor an operator did anything for too long. The bot
            // takes the chat back (enable first, so CM routes to it) and answers as in a new conversation.
            state = state.Record(now, Actors.Customer, what, "to the bot");
            state = Fresh(state.WithMode(RoutingMode.Bot)) with { Context = NoContext, LastRoutingUtc = arrived };
            var enable = requests.Enable(state, ids.NewId());
            calls.Add(enable);
            state = state.Record(now, Actors.Bot, "automatic hand-back", $"no customer message or operator action for {Duration(silence)}; {enable.Summary}");
            events.Add(new ConversationEvent(ConversationEventKind.AutomaticHandBack));
            newSession = true;
        }
        else
        {
            state = state.Record(now, Actors.Customer, what, "to the bot");
            if (lastActive is not null && silence > rules.SessionTimeout)
            {
                // The customer came back after a long silence: yesterday's menu or memory would only confuse.
                state = Fresh(state).Record(now, Actors.Bot, "session expired", $"no customer message for {Duration(silence)}; a new session starts");
                events.Add(new ConversationEvent(ConversationEventKind.SessionExpired));
                newSession = true;
            }
        }

        var message = new CustomerMessage(
            mo.Message?.Text,
            mo.Message?.Media?.MediaUri is { Length: > 0 } uri ? new BotMedia(uri, mo.Message.Media.ContentType, mo.Message.Media.Title) : null,
            mo.Message?.Custom);
        var position = state.FlowId is not null && state.StepId is not null ? new BotPosition(state.FlowId, state.StepId) : null;
        var answer = await bot.AnswerAsync(Input(state, BotEvent.Message, message, mo.Reference, mo.TimeUtc ?? now, position, newSession), cancellationToken);
        return Answered(state, answer, arrived, now, calls, events);
    }

    private async Task<TurnResult> OperatorAsync(ChatState state, OperatorCommand command, DateTimeOffset arrived, DateTimeOffset now, CancellationToken cancellationToken)
    {
        state = state with { LastRoutingUtc = Latest(state.LastRoutingUtc, arrived) };
        switch (command.Action)
        {
            case OperatorAction.HandOver:
            {
                var context = command.Context ?? bot.Flows?.HandOver.Context ?? NoContext;
                List<RouterCall> calls = [];
                List<ConversationEvent> events = [];
                // Opening hours matter for a chat coming from the bot; one an agent already has is only re-routed.
                var closed = state.Mode == RoutingMode.Bot ? OutsideHours(context, now) : null;
                if (closed is { } shut && rules.OutOfHours == OutOfHoursPolicy.KeepBot)
                {
                    state = state.Record(now, Actors.Operator, "hand-over declined", $"team {shut.Team} is closed until {shut.Next}; the bot keeps the chat");
                    if (state.CustomerNumber is not null)
                    {
                        state = Say(state, calls, BotReply.Of(rules.LeaveMessageNotice.Replace("{next}", shut.Next, StringComparison.Ordinal)), now);
                    }

                    return new TurnResult(state, calls) { Events = [new ConversationEvent(ConversationEventKind.BotKeptOutsideHours, shut.Team)] };
                }

                state = state.WithMode(RoutingMode.Agent) with { Context = context };
                if (closed is { } outside)
                {
                    state = state.Record(now, Actors.Operator, "outside opening hours", $"team {outside.Team} is closed until {outside.Next}; the customer is told before the hand-over");

                    // A chat that never had a customer message has nobody to tell.
                    if (state.CustomerNumber is not null)
                    {
                        state = Say(state, calls, BotReply.Of(rules.OutOfHoursNotice.Replace("{next}", outside.Next, StringComparison.Ordinal)), now);
                    }

                    events.Add(new ConversationEvent(ConversationEventKind.HandOverOutsideHours, outside.Team));
                }

                var call = requests.Disable(state, ids.NewId(), context);
                calls.Add(call);
                return new TurnResult(state.Record(now, Actors.Operator, "hand-over", ToAgent(call)), calls) { Events = events };
            }

            case OperatorAction.TakeOver:
            {
                state = state.WithMode(RoutingMode.Agent);
                var call = requests.Disable(state, ids.NewId(), null);
                return new TurnResult(state.Record(now, Actors.Operator, "take-over", ToAgent(call)), [call]);
            }

            case OperatorAction.HandBack:
            {
                state = state.WithMode(RoutingMode.Bot) with { Context = NoContext };
                var enable = requests.Enable(state, ids.NewId());
                state = state.Record(now, Actors.Operator, "hand-back", enable.Summary);
                List<RouterCall> calls = [enable];
                var at = command.FlowId is not null && command.StepId is not null ? new BotPosition(command.FlowId, command.StepId) : null;

                // Only a bot with flows has positions CM can route to; any other bot hears of the step itself.
                if (at is not null && bot.Flows?.FindStep(at.FlowId, at.StepId) is not null)
                {
                    var position = RouterRequests.Position(state, ids.NewId(), at.FlowId, at.StepId);
                    state = state.Record(now, Actors.Operator, "position", position.Summary);
                    calls.Add(position);
                }

                var answer = await bot.AnswerAsync(Input(state, BotEvent.HandBack, CustomerMessage.None, null, now, at), cancellationToken);
                return Answered(state, answer, arrived, now, calls, []);
            }

            case OperatorAction.Reset:
            {
                state = state.WithMode(RoutingMode.Bot) with
                {
                    FlowId = null,
                    StepId = null,
                    Context = NoContext,
                    Variables = NoContext,
                    BotState = null,
                };
                var call = RouterRequests.Reset(state, ids.NewId());
                state = state.Record(now, Actors.Operator, "reset", "routing back to defaults");
                var answer = await bot.AnswerAsync(Input(state, BotEvent.Reset, CustomerMessage.None, null, now, null), cancellationToken);
                return Answered(state, answer, arrived, now, [call], []);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(command), command.Action, "Unknown operator action.");
        }
    }

    private static BotInput Input(ChatState state, BotEvent kind, CustomerMessage message, string? reference, DateTimeOffset time, BotPosition? position, bool newSession = false) =>
        new(state.ChatId, kind, state.Channel, state.CustomerNumber, message, reference, time, position, state.Variables, state.BotState, newSession);

    /// <summary>The chat as a new conversation finds it: the bot at its start, nothing collected, no saved state.</summary>
    private static ChatState Fresh(ChatState state) => state with
    {
        FlowId = null,
        StepId = null,
        Variables = NoContext,
        BotState = null,
    };

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string Duration(TimeSpan span) =>
        TimeSpan.FromSeconds(Math.Round(span.TotalSeconds)).ToString("c", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Turns the bot's answer into calls after <paramref name="calls"/>: its replies (long texts split for the
    /// channel), then, for a hand-over, its notice, outside the team's opening hours the out-of-hours notice, and the
    /// disable mutation with its context; or, outside hours with keep-bot, only the leave-a-message text.
    /// </summary>
    private TurnResult Answered(ChatState state, BotAnswer answer, DateTimeOffset arrived, DateTimeOffset now, List<RouterCall> calls, List<ConversationEvent> events)
    {
        state = state with
        {
            FlowId = answer.Position?.FlowId ?? state.FlowId,
            StepId = answer.Position?.StepId ?? state.StepId,
            Variables = answer.Variables ?? state.Variables,
            BotState = answer.State,
        };
        if (answer.State is { Length: > BotAnswer.MaxStateChars })
        {
            state = state.Record(now, Actors.Bot, "state", $"{answer.State.Length} characters is over {BotAnswer.MaxStateChars}; dropped") with { BotState = null };
        }

        var handOver = answer.HandOver;
        var closed = handOver is null ? null : OutsideHours(handOver.Context, now);
        var keepBot = closed is not null && rules.OutOfHours == OutOfHoursPolicy.KeepBot;

        // Replies carry the epoch after this turn, so a hand-over's own notice still goes out
        // while any later routing change (take-over, hand-back) silences them.
        if (handOver is not null && !keepBot)
        {
            state = state.WithMode(RoutingMode.Agent) with { Context = handOver.Context, LastRoutingUtc = Latest(state.LastRoutingUtc, arrived) };
        }

        foreach (var reply in answer.Replies)
        {
            state = Say(state, calls, reply, now);
        }

        if (handOver is null)
        {
            return new TurnResult(state, calls) { Events = events };
        }

        if (closed is { } shut)
        {
            events.Add(new ConversationEvent(keepBot ? ConversationEventKind.BotKeptOutsideHours : ConversationEventKind.HandOverOutsideHours, shut.Team));
            if (keepBot)
            {
                // No agent is there to take it: the bot keeps the chat, and its own hand-over notice is not sent.
                state = state.Record(now, Actors.Bot, "hand-over declined", $"team {shut.Team} is closed until {shut.Next}; the bot keeps the chat");
                state = Say(state, calls, BotReply.Of(rules.LeaveMessageNotice.Replace("{next}", shut.Next, StringComparison.Ordinal)), now);
                return new TurnResult(state, calls) { Events = events };
            }
        }

        if (handOver.Notice is { Length: > 0 } notice)
        {
            state = Say(state, calls, BotReply.Of(notice), now);
        }

        if (closed is { } outside)
        {
            state = state.Record(now, Actors.Bot, "outside opening hours", $"team {outside.Team} is closed until {outside.Next}; the customer is told before the hand-over");
            state = Say(state, calls, BotReply.Of(rules.OutOfHoursNotice.Replace("{next}", outside.Next, StringComparison.Ordinal)), now);
        }

        var disable = requests.Disable(state, ids.NewId(), handOver.Context);
        calls.Add(disable);
        state = state.Record(now, Actors.Bot, "hand-over", ToAgent(disable));
        return new TurnResult(state, calls) { Events = events };
    }

    /// <summary>A hand-over's or take-over's history outcome: the mutation, and the agent component that has the chat now.</summary>
    private string ToAgent(RouterCall disable) => $"{disable.Summary}; {requests.Components.Agent} has the chat";

    /// <summary>One reply to the customer: long texts split for the channel, suggestions and media after the last part.</summary>
    private ChatState Say(ChatState state, List<RouterCall> calls, BotReply reply, DateTimeOffset now)
    {
        var parts = ChannelTextLimits.Split(reply.Text, ChannelTextLimits.For(state.Channel));
        for (var i = 0; i < parts.Count; i++)
        {
            // Suggestions and media follow the last part, so a menu comes after the text that leads to it.
            var part = i == parts.Count - 1 ? reply with { Text = parts[i] } : new BotReply(parts[i], []);
            var call = RouterRequests.Reply(state, ids.NewId(), part);
            calls.Add(call);
            state = state.Record(now, Actors.Bot, "reply", call.Summary);
        }

        return state;
    }

    /// <summary>When a hand-over with this context is outside its team's opening hours: the team and its next opening, as the customer reads it.</summary>
    private (string Team, string Next)? OutsideHours(IReadOnlyDictionary<string, string> context, DateTimeOffset now) =>
        rules.Hours.For(context) is { } hours && !hours.IsOpen(now) ? (hours.Team, ConversationRules.Format(hours.NextOpening(now))) : null;
}
