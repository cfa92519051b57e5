using System.Text.Json;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;
using BotRouter.Core.Flows;
using BotRouter.Core.Routing;

namespace BotRouter.Core.Processing;

/// <summary>The outcome of one inbox item: the chat's new state and the router calls to make, in order.</summary>
public sealed record TurnResult(ChatState State, IReadOnlyList<RouterCall> Calls);

/// <summary>
/// Decides what one inbox item (a customer message or an operator command) does to a chat.
/// Pure apart from the ids it draws: no I/O, so every routing rule is unit-testable.
/// </summary>
public sealed class ChatTurns(FlowBot bot, RouterRequests requests, IIdSource ids)
{
    /// <summary>The seam the processor calls: a bot may do I/O, so deciding is asynchronous.</summary>
    public Task<TurnResult> ApplyAsync(ChatState state, InboxItem item, DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.FromResult(Apply(state, item, now));

    public TurnResult Apply(ChatState state, InboxItem item, DateTimeOffset now) => item.Kind switch
    {
        InboxKind.Customer => Customer(state, JsonSerializer.Deserialize(item.Payload, CoreJson.Default.MoMessage)!, now),
        InboxKind.Operator => Operator(state, JsonSerializer.Deserialize(item.Payload, CoreJson.Default.OperatorCommand)!, now),
        _ => throw new ArgumentOutOfRangeException(nameof(item), item.Kind, "Unknown inbox item kind."),
    };

    private TurnResult Customer(ChatState state, MoMessage mo, DateTimeOffset now)
    {
        state = state with
        {
            Channel = mo.Channel ?? state.Channel,
            CustomerNumber = mo.From?.Number ?? state.CustomerNumber,
            BusinessNumber = mo.To?.Number ?? state.BusinessNumber,
        };
        var what = mo.Message?.Text is { Length: > 0 } ? "message" : mo.Message?.Media?.MediaUri is not null ? "media" : "empty message";
        if (state.Mode == RoutingMode.Agent)
        {
            return new TurnResult(state.Record(now, Actors.Customer, what, "recorded; an agent owns the chat"), []);
        }

        state = state.Record(now, Actors.Customer, what, "to the bot");
        var turn = bot.Respond(state.FlowId, state.StepId, state.Variables, mo.Message?.Text);
        return Bot(state, turn, now);
    }

    private TurnResult Operator(ChatState state, OperatorCommand command, DateTimeOffset now)
    {
        switch (command.Action)
        {
            case OperatorAction.HandOver:
            {
                var context = command.Context ?? bot.Flows.HandOver.Context ?? new Dictionary<string, string>();
                state = state.WithMode(RoutingMode.Agent) with { Context = context };
                var call = requests.Disable(state, ids.NewId(), context);
                return new TurnResult(state.Record(now, Actors.Operator, "hand-over", call.Summary), [call]);
            }

            case OperatorAction.TakeOver:
            {
                state = state.WithMode(RoutingMode.Agent);
                var call = requests.Disable(state, ids.NewId(), null);
                return new TurnResult(state.Record(now, Actors.Operator, "take-over", call.Summary), [call]);
            }

            case OperatorAction.HandBack:
            {
                state = state.WithMode(RoutingMode.Bot) with { Context = new Dictionary<string, string>() };
                var enable = requests.Enable(state, ids.NewId());
                state = state.Record(now, Actors.Operator, "hand-back", enable.Summary);
                if (command.FlowId is null || command.StepId is null)
                {
                    return new TurnResult(state, [enable]);
                }

                var position = RouterRequests.Position(state, ids.NewId(), command.FlowId, command.StepId);
                state = state.Record(now, Actors.Operator, "position", position.Summary);
                var entered = Bot(state, bot.EnterAt(command.FlowId, command.StepId, state.Variables), now);
                return entered with { Calls = [enable, position, .. entered.Calls] };
            }

            case OperatorAction.Reset:
            {
                state = state.WithMode(RoutingMode.Bot) with
                {
                    FlowId = bot.Flows.StartFlow.Id,
                    StepId = bot.Flows.StartStep.Id,
                    Context = new Dictionary<string, string>(),
                    Variables = new Dictionary<string, string>(),
                };
                var call = RouterRequests.Reset(state, ids.NewId());
                return new TurnResult(state.Record(now, Actors.Operator, "reset", "routing back to defaults"), [call]);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(command), command.Action, "Unknown operator action.");
        }
    }

    /// <summary>Turns the bot's actions into calls. A hand-over's notice goes out before the disable mutation.</summary>
    private TurnResult Bot(ChatState state, BotTurn turn, DateTimeOffset now)
    {
        state = state with { FlowId = turn.FlowId, StepId = turn.StepId, Variables = turn.Variables };
        var says = new List<(string Text, IReadOnlyList<string> Suggestions)>();
        HandOverToAgent? handOver = null;
        foreach (var action in turn.Actions)
        {
            switch (action)
            {
                case Say say:
                    says.Add((say.Text, say.Suggestions));
                    break;
                case HandOverToAgent h:
                    says.Add((h.Notice, []));
                    handOver = h;
                    break;
            }
        }

        // Replies carry the epoch after this turn, so a hand-over's own notice still goes out
        // while any later routing change (take-over, hand-back) silences them.
        if (handOver is not null)
        {
            state = state.WithMode(RoutingMode.Agent) with { Context = handOver.Context };
        }

        var calls = says.Select(s => RouterRequests.Reply(state, ids.NewId(), s.Text, s.Suggestions)).ToList();
        foreach (var call in calls)
        {
            state = state.Record(now, Actors.Bot, "reply", call.Summary);
        }

        if (handOver is not null)
        {
            var disable = requests.Disable(state, ids.NewId(), handOver.Context);
            calls.Add(disable);
            state = state.Record(now, Actors.Bot, "hand-over", disable.Summary);
        }

        return new TurnResult(state, calls);
    }
}
