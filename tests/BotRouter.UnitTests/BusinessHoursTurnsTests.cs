using System.Text.Json;
using System.Text.Json.Nodes;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Contracts;
using BotRouter.Core.Flows;
using BotRouter.Core.Hours;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Time.Testing;

namespace BotRouter.UnitTests;

/// <summary>Hand-overs outside their team's opening hours: a notice first (handover), or no hand-over at all (keep-bot).</summary>
public class BusinessHoursTurnsTests
{
    private const string ChatId = ChatTurnsTests.ChatId;

    // Thursday 26 November 2026, 18:30 in Amsterdam: the general team closed at 17:00.
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 26, 17, 30, 0, TimeSpan.Zero));

    private static ConversationRules Rules(OutOfHoursPolicy policy = OutOfHoursPolicy.HandOver)
    {
        var options = new RoutingOptions();
        options.Hours["general"] = new TeamHoursOptions { TimeZone = "Europe/Amsterdam", Weekly = "Mon-Fri 09:00-17:00" };
        options.Hours["default"] = new TeamHoursOptions { TimeZone = "Europe/Amsterdam", Weekly = "Mon-Sun 00:00-24:00" };
        return ConversationRules.Default with
        {
            Hours = TeamHours.Parse(options.Hours, []),
            OutOfHours = policy,
            OutOfHoursNotice = "We are closed; back {next}.",
            LeaveMessageNotice = "We are closed until {next}. Leave a message.",
        };
    }

    private static ChatTurns FlowTurns(ConversationRules rules) =>
        new(new FlowsBot(new FlowBot(FlowSetValidator.LoadDefault())), Kit.TestRouter.Requests(), new ChatTurnsTests.SequentialIds(), rules);

    private static ChatState Chat() => ChatState.New(ChatId, DateTimeOffset.UnixEpoch) with
    {
        Channel = "WhatsApp",
        CustomerNumber = "+31611111111",
        BusinessNumber = "+3197010000000",
    };

    private Task<TurnResult> ApplyAsync(ChatTurns turns, ChatState state, InboxItem item) =>
        turns.ApplyAsync(state, item with { ReceivedUtc = time.GetUtcNow() }, time.GetUtcNow(), CancellationToken.None);

    /// <summary>The calls as the customer and CM see them: reply texts and mutation kinds, in order.</summary>
    private static List<string> Seen(TurnResult result) =>
        [.. result.Calls.Select(c => c.Kind == RouterCallKind.Reply
            ? JsonNode.Parse(c.Body!)!["messages"]!["msg"]![0]!["body"]!["content"]!.GetValue<string>()
            : JsonSerializer.Deserialize(c.Body!, CoreJson.Default.MutationRequest)!.Mutations.Single().Type)];

    [Fact]
    public async Task A_keyword_hand_over_outside_hours_sends_the_hours_notice_before_the_disable_mutation()
    {
        var result = await ApplyAsync(FlowTurns(Rules()), Chat(), ChatTurnsTests.Customer("I want a human"));

        Assert.Equal(
            ["I'm connecting you with one of our colleagues. They will reply here shortly.", "We are closed; back Friday 27 November 09:00.", Mutation.Disable],
            Seen(result));
        Assert.Equal(RoutingMode.Agent, result.State.Mode);
        Assert.Contains(result.State.History, h => h is { Action: "outside opening hours" } && h.Outcome.Contains("team general", StringComparison.Ordinal));
        Assert.Equal([new ConversationEvent(ConversationEventKind.HandOverOutsideHours, "general")], result.Events);
    }

    [Fact]
    public async Task With_keep_bot_a_hand_over_outside_hours_makes_no_mutation_and_asks_for_a_message()
    {
        var result = await ApplyAsync(FlowTurns(Rules(OutOfHoursPolicy.KeepBot)), Chat(), ChatTurnsTests.Customer("I want a human"));

        Assert.Equal(["We are closed until Friday 27 November 09:00. Leave a message."], Seen(result));
        Assert.DoesNotContain(result.Calls, c => c.Kind == RouterCallKind.Mutation);
        Assert.Equal(RoutingMode.Bot, result.State.Mode);
        Assert.Equal(Chat().Epoch, result.State.Epoch);
        Assert.Contains(result.State.History, h => h.Action == "hand-over declined");
        Assert.Equal([new ConversationEvent(ConversationEventKind.BotKeptOutsideHours, "general")], result.Events);
    }

    [Fact]
    public async Task Inside_hours_a_hand_over_is_as_it_always_was()
    {
        time.Advance(TimeSpan.FromHours(15)); // Friday 08:30 UTC, 09:30 in Amsterdam

        var result = await ApplyAsync(FlowTurns(Rules(OutOfHoursPolicy.KeepBot)), Chat(), ChatTurnsTests.Customer("I want a human"));

        Assert.Equal(["I'm connecting you with one of our colleagues. They will reply here shortly.", Mutation.Disable], Seen(result));
        Assert.Empty(result.Events);
    }

    [Fact]
    public async Task A_team_that_is_open_hands_over_at_once_while_another_is_closed()
    {
        var bot = new ScriptedBot().Then(new BotAnswer([BotReply.Of("Passing you on.")], new BotHandOver(new Dictionary<string, string> { ["team"] = "night-desk" })));

        var result = await ApplyAsync(new ChatTurns(bot, Kit.TestRouter.Requests(), new ChatTurnsTests.SequentialIds(), Rules()), Chat(), ChatTurnsTests.Customer("help"));

        Assert.Equal(["Passing you on.", Mutation.Disable], Seen(result)); // night-desk has the default hours: always open
    }

    [Fact]
    public async Task A_bots_hand_over_outside_hours_keeps_its_texts_then_the_notice_then_the_mutation()
    {
        var bot = new ScriptedBot().Then(new BotAnswer([BotReply.Of("Let me find you a colleague.")], new BotHandOver(new Dictionary<string, string> { ["team"] = "general" })));

        var result = await ApplyAsync(new ChatTurns(bot, Kit.TestRouter.Requests(), new ChatTurnsTests.SequentialIds(), Rules()), Chat(), ChatTurnsTests.Customer("help"));

        Assert.Equal(["Let me find you a colleague.", "We are closed; back Friday 27 November 09:00.", Mutation.Disable], Seen(result));
    }

    [Fact]
    public async Task An_operator_hand_over_outside_hours_tells_the_customer_first()
    {
        var command = ChatTurnsTests.Operator(new OperatorCommand { Action = OperatorAction.HandOver, Context = new Dictionary<string, string> { ["team"] = "general" } });

        var result = await ApplyAsync(FlowTurns(Rules()), Chat(), command);

        Assert.Equal(["We are closed; back Friday 27 November 09:00.", Mutation.Disable], Seen(result));
        Assert.Equal(result.State.Epoch, result.Calls[0].Epoch);
        Assert.Equal(RoutingMode.Agent, result.State.Mode);
    }

    [Fact]
    public async Task An_operator_hand_over_outside_hours_with_keep_bot_changes_no_routing()
    {
        var command = ChatTurnsTests.Operator(new OperatorCommand { Action = OperatorAction.HandOver, Context = new Dictionary<string, string> { ["team"] = "general" } });

        var result = await ApplyAsync(FlowTurns(Rules(OutOfHoursPolicy.KeepBot)), Chat(), command);

        Assert.Equal(["We are closed until Friday 27 November 09:00. Leave a message."], Seen(result));
        Assert.Equal(RoutingMode.Bot, result.State.Mode);
    }

    [Fact]
    public async Task A_take_over_by_an_agent_is_never_affected_by_opening_hours()
    {
        var result = await ApplyAsync(FlowTurns(Rules(OutOfHoursPolicy.KeepBot)), Chat(), ChatTurnsTests.Operator(new OperatorCommand { Action = OperatorAction.TakeOver }));

        Assert.Equal([Mutation.Disable], Seen(result));
        Assert.Equal(RoutingMode.Agent, result.State.Mode);
        Assert.Empty(result.Events);
    }

    [Fact]
    public async Task An_operator_re_routing_a_chat_an_agent_already_has_is_not_held_up_by_opening_hours()
    {
        var command = ChatTurnsTests.Operator(new OperatorCommand { Action = OperatorAction.HandOver, Context = new Dictionary<string, string> { ["team"] = "general" } });

        var result = await ApplyAsync(FlowTurns(Rules(OutOfHoursPolicy.KeepBot)), Chat().WithMode(RoutingMode.Agent), command);

        Assert.Equal([Mutation.Disable], Seen(result));
        Assert.Empty(result.Events);
    }
}
