using System.Text.Json.Nodes;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Flows;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Time.Testing;

namespace BotRouter.UnitTests;

/// <summary>Bot__SessionTimeout: a customer who comes back after a long silence starts a new conversation.</summary>
public class SessionExpiryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(30);
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
    private readonly ConversationRules rules = ConversationRules.Default with { SessionTimeout = Timeout };

    private ChatTurns FlowTurns() => new(new FlowsBot(new FlowBot(FlowSetValidator.LoadDefault())), Kit.TestRouter.Requests(), new ChatTurnsTests.SequentialIds(), rules);

    private InboxItem Customer(string text) => ChatTurnsTests.Customer(text) with { ReceivedUtc = time.GetUtcNow() };

    private static string Text(RouterCall call) => JsonNode.Parse(call.Body!)!["messages"]!["msg"]![0]!["body"]!["content"]!.GetValue<string>();

    private async Task<ChatState> SayAsync(ChatTurns turns, ChatState state, params string[] texts)
    {
        foreach (var text in texts)
        {
            state = (await turns.ApplyAsync(state, Customer(text), time.GetUtcNow(), CancellationToken.None)).State;
        }

        return state;
    }

    [Fact]
    public async Task A_message_after_the_session_timeout_greets_again_with_the_variables_cleared()
    {
        var turns = FlowTurns();
        var state = await SayAsync(turns, ChatState.New(ChatTurnsTests.ChatId, time.GetUtcNow()), "hello", "1");
        state = state with { Variables = new Dictionary<string, string> { ["orderNumber"] = "AB-1" } };
        Assert.Equal(("orders", "ask-number"), (state.FlowId, state.StepId));

        time.Advance(Timeout + TimeSpan.FromSeconds(1));
        var result = await turns.ApplyAsync(state, Customer("AB-12345"), time.GetUtcNow(), CancellationToken.None);

        var reply = Assert.Single(result.Calls);
        Assert.StartsWith("Hi! I'm the virtual assistant", Text(reply), StringComparison.Ordinal);
        Assert.Equal(("main", "welcome"), (result.State.FlowId, result.State.StepId));
        Assert.Empty(result.State.Variables);
        Assert.Contains(result.State.History, h => h is { Actor: Actors.Bot, Action: "session expired" } && h.Outcome.Contains("00:30:01", StringComparison.Ordinal));
        Assert.Equal([new ConversationEvent(ConversationEventKind.SessionExpired)], result.Events);
    }

    [Fact]
    public async Task A_message_inside_the_session_timeout_goes_on_where_the_conversation_was()
    {
        var turns = FlowTurns();
        var state = await SayAsync(turns, ChatState.New(ChatTurnsTests.ChatId, time.GetUtcNow()), "hello", "1");

        time.Advance(Timeout);
        var result = await turns.ApplyAsync(state, Customer("AB-12345"), time.GetUtcNow(), CancellationToken.None);

        Assert.Contains("AB-12345", Text(result.Calls[0]), StringComparison.Ordinal);
        Assert.DoesNotContain(result.State.History, h => h.Action == "session expired");
        Assert.Empty(result.Events);
    }

    [Fact]
    public async Task A_bot_with_its_own_state_is_told_the_session_is_new_and_gets_no_saved_state()
    {
        var bot = new ScriptedBot();
        var turns = new ChatTurns(bot, Kit.TestRouter.Requests(), new ChatTurnsTests.SequentialIds(), rules);
        var state = ChatState.New(ChatTurnsTests.ChatId, time.GetUtcNow()) with { LastCustomerUtc = time.GetUtcNow(), BotState = """{"turns":["yesterday"]}""" };

        time.Advance(TimeSpan.FromHours(20));
        var result = await turns.ApplyAsync(state, Customer("hi again"), time.GetUtcNow(), CancellationToken.None);

        var input = Assert.Single(bot.Inputs);
        Assert.True(input.NewSession);
        Assert.Null(input.State);
        Assert.Equal(BotEvent.Message, input.Event);
        Assert.Null(result.State.BotState);
    }

    [Fact]
    public async Task A_bot_with_its_own_state_keeps_it_inside_the_session_timeout()
    {
        var bot = new ScriptedBot();
        var turns = new ChatTurns(bot, Kit.TestRouter.Requests(), new ChatTurnsTests.SequentialIds(), rules);
        var state = ChatState.New(ChatTurnsTests.ChatId, time.GetUtcNow()) with { LastCustomerUtc = time.GetUtcNow(), BotState = "memory" };

        time.Advance(TimeSpan.FromMinutes(29));
        await turns.ApplyAsync(state, Customer("and another thing"), time.GetUtcNow(), CancellationToken.None);

        var input = Assert.Single(bot.Inputs);
        Assert.False(input.NewSession);
        Assert.Equal("memory", input.State);
    }

    [Fact]
    public async Task A_hand_back_counts_as_activity_so_the_bot_goes_on_from_the_step_it_was_handed_back_to()
    {
        var turns = FlowTurns();
        var state = ChatState.New(ChatTurnsTests.ChatId, time.GetUtcNow()).WithMode(RoutingMode.Agent) with
        {
            LastCustomerUtc = time.GetUtcNow(),
            CustomerNumber = "+31611111111",
            BusinessNumber = "+3197010000000",
        };
        time.Advance(TimeSpan.FromHours(2));
        var handBack = ChatTurnsTests.Operator(new OperatorCommand { Action = OperatorAction.HandBack, FlowId = "orders", StepId = "ask-number" }) with { ReceivedUtc = time.GetUtcNow() };
        state = (await turns.ApplyAsync(state, handBack, time.GetUtcNow(), CancellationToken.None)).State;

        time.Advance(TimeSpan.FromMinutes(5));
        var result = await turns.ApplyAsync(state, Customer("AB-12345"), time.GetUtcNow(), CancellationToken.None);

        Assert.Contains("AB-12345", Text(result.Calls[0]), StringComparison.Ordinal);
        Assert.Empty(result.Events);
    }

    [Fact]
    public async Task Silence_is_measured_between_arrivals_so_a_backlog_processed_late_does_not_expire_the_session()
    {
        var turns = FlowTurns();
        var state = await SayAsync(turns, ChatState.New(ChatTurnsTests.ChatId, time.GetUtcNow()), "hello", "1");
        time.Advance(TimeSpan.FromMinutes(1));
        var arrived = Customer("AB-12345");

        time.Advance(TimeSpan.FromHours(3)); // an outage: the message waited in the inbox
        var result = await turns.ApplyAsync(state, arrived, time.GetUtcNow(), CancellationToken.None);

        Assert.Contains("AB-12345", Text(result.Calls[0]), StringComparison.Ordinal);
        Assert.Empty(result.Events);
    }

    [Fact]
    public void The_session_timeout_defaults_to_30_minutes_and_must_be_positive()
    {
        Assert.Equal(TimeSpan.FromMinutes(30), new BotOptions().SessionTimeout);

        var result = new BotOptionsValidator().Validate(null, new BotOptions { SessionTimeout = TimeSpan.Zero });

        Assert.Equal(["Setting Bot__SessionTimeout must be a positive duration, e.g. 00:30:00."], result.Failures);
    }
}
