using System.Text.Json;
using System.Text.Json.Nodes;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Contracts;
using BotRouter.Core.Flows;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Time.Testing;

namespace BotRouter.UnitTests;

/// <summary>Routing__AgentIdleTimeout: a chat handed to agents and then left is handed back when the customer writes.</summary>
public class StaleHandOverTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromHours(24);
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
    private readonly ScriptedBot bot = new();

    private static ChatTurns FlowTurns(TimeSpan? idle) =>
        new(new FlowsBot(new FlowBot(FlowSetValidator.LoadDefault())), Kit.TestRouter.Requests(), new ChatTurnsTests.SequentialIds(), ConversationRules.Default with { AgentIdleTimeout = idle });

    private InboxItem Customer(string text) => ChatTurnsTests.Customer(text) with { ReceivedUtc = time.GetUtcNow() };

    /// <summary>Handed over (by the bot) with the customer's last message at the same time.</summary>
    private ChatState HandedOver() => ChatState.New(ChatTurnsTests.ChatId, time.GetUtcNow()).WithMode(RoutingMode.Agent) with
    {
        Context = new Dictionary<string, string> { ["team"] = "billing" },
        FlowId = "billing",
        StepId = "topic",
        BotState = "old memory",
        LastCustomerUtc = time.GetUtcNow(),
        LastRoutingUtc = time.GetUtcNow(),
    };

    private Task<TurnResult> ApplyAsync(ChatTurns turns, ChatState state, InboxItem item) => turns.ApplyAsync(state, item, time.GetUtcNow(), CancellationToken.None);

    private static string Text(RouterCall call) => JsonNode.Parse(call.Body!)!["messages"]!["msg"]![0]!["body"]!["content"]!.GetValue<string>();

    [Fact]
    public async Task A_stale_agent_mode_chat_is_handed_back_on_the_next_message_enable_first_then_the_bot_greets()
    {
        var state = HandedOver();

        time.Advance(Idle + TimeSpan.FromMinutes(1));
        var result = await ApplyAsync(FlowTurns(Idle), state, Customer("hello? anyone?"));

        Assert.Equal([RouterCallKind.Mutation, RouterCallKind.Reply], result.Calls.Select(c => c.Kind));
        var mutation = JsonSerializer.Deserialize(result.Calls[0].Body!, CoreJson.Default.MutationRequest)!;
        Assert.Equal(Mutation.Enable, mutation.Mutations.Single().Type);
        Assert.StartsWith("Hi! I'm the virtual assistant", Text(result.Calls[1]), StringComparison.Ordinal);
        Assert.Equal(result.State.Epoch, result.Calls[1].Epoch);
        Assert.Equal((RoutingMode.Bot, "main", "welcome"), (result.State.Mode, result.State.FlowId, result.State.StepId));
        Assert.Empty(result.State.Context);
        Assert.Contains(result.State.History, h => h is { Actor: Actors.Bot, Action: "automatic hand-back" } && h.Outcome.Contains("1.00:01:00", StringComparison.Ordinal));
        Assert.DoesNotContain(result.State.History, h => h.Action == "session expired");
        Assert.Equal([new ConversationEvent(ConversationEventKind.AutomaticHandBack)], result.Events);
    }

    [Fact]
    public async Task Inside_the_idle_timeout_the_message_is_only_recorded()
    {
        var state = HandedOver();

        time.Advance(Idle);
        var result = await ApplyAsync(FlowTurns(Idle), state, Customer("hello?"));

        Assert.Empty(result.Calls);
        Assert.Equal(RoutingMode.Agent, result.State.Mode);
        Assert.Empty(result.Events);
    }

    [Fact]
    public async Task A_recent_operator_action_keeps_the_chat_with_the_agent_though_the_customer_was_silent()
    {
        var state = HandedOver();
        time.Advance(TimeSpan.FromHours(30));
        var takeOver = ChatTurnsTests.Operator(new OperatorCommand { Action = OperatorAction.TakeOver }) with { ReceivedUtc = time.GetUtcNow() };
        state = (await ApplyAsync(FlowTurns(Idle), state, takeOver)).State;

        time.Advance(TimeSpan.FromHours(2));
        var result = await ApplyAsync(FlowTurns(Idle), state, Customer("hello?"));

        Assert.Empty(result.Calls);
        Assert.Equal(RoutingMode.Agent, result.State.Mode);
    }

    [Fact]
    public async Task Without_the_setting_a_chat_stays_with_the_agent_however_long_it_is_left()
    {
        var state = HandedOver();

        time.Advance(TimeSpan.FromDays(60));
        var result = await ApplyAsync(FlowTurns(null), state, Customer("hello?"));

        Assert.Empty(result.Calls);
        Assert.Equal(RoutingMode.Agent, result.State.Mode);
    }

    [Fact]
    public async Task A_bot_with_its_own_state_answers_the_handed_back_message_as_a_new_session()
    {
        var turns = new ChatTurns(bot, Kit.TestRouter.Requests(), new ChatTurnsTests.SequentialIds(), ConversationRules.Default with { AgentIdleTimeout = Idle });
        var state = HandedOver();

        time.Advance(TimeSpan.FromDays(2));
        await ApplyAsync(turns, state, Customer("hello?"));

        var input = Assert.Single(bot.Inputs);
        Assert.Equal(Core.Bots.BotEvent.Message, input.Event);
        Assert.True(input.NewSession);
        Assert.Null(input.State);
    }

    [Theory]
    [InlineData("24:00:00", 24 * 60)]
    [InlineData("1.00:00:00", 24 * 60)]
    [InlineData("48:00", 48 * 60)]
    [InlineData("00:45:00", 45)]
    public void The_idle_timeout_takes_hours_beyond_23(string setting, int minutes)
    {
        var options = new RoutingOptions { AgentIdleTimeout = setting };

        Assert.True(new RoutingOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(TimeSpan.FromMinutes(minutes), options.AgentIdle);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("00:00:00")]
    [InlineData("-01:00:00")]
    [InlineData("24:75")]
    public void A_bad_idle_timeout_names_the_setting(string setting)
    {
        var result = new RoutingOptionsValidator().Validate(null, new RoutingOptions { AgentIdleTimeout = setting });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("Setting Routing__AgentIdleTimeout must be a positive duration", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_idle_timeout_is_off_by_default()
    {
        Assert.Null(new RoutingOptions().AgentIdle);
        Assert.True(new RoutingOptionsValidator().Validate(null, new RoutingOptions()).Succeeded);
    }
}
