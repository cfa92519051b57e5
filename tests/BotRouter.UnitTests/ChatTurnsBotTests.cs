using System.Text.Json;
using System.Text.Json.Nodes;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;
using BotRouter.Core.Flows;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;

namespace BotRouter.UnitTests;

/// <summary>The app's routing rules around any bot, with an in-memory bot behind the port.</summary>
public class ChatTurnsBotTests
{
    private const string ChatId = ChatTurnsTests.ChatId;
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private static ChatTurns Turns(IBot bot) => new(bot, Kit.TestRouter.Requests(), new ChatTurnsTests.SequentialIds(), ConversationRules.Default);

    private static Task<TurnResult> Apply(ChatTurns turns, ChatState state, InboxItem item) => turns.ApplyAsync(state, item, Now, CancellationToken.None);

    private static InboxItem Command(OperatorAction action, string? flowId = null, string? stepId = null) =>
        ChatTurnsTests.Operator(new OperatorCommand { Action = action, FlowId = flowId, StepId = stepId });

    private static JsonNode Msg(RouterCall call) => JsonNode.Parse(call.Body!)!["messages"]!["msg"]![0]!;

    private static string Text(RouterCall call) => Msg(call)["body"]!["content"]!.GetValue<string>();

    private static ChatState Agent() => ChatState.New(ChatId, Now).WithMode(RoutingMode.Agent) with
    {
        Channel = "WhatsApp",
        CustomerNumber = "+31611111111",
        BusinessNumber = "+3197010000000",
    };

    [Fact]
    public async Task In_agent_mode_the_bot_is_never_asked()
    {
        var bot = new ScriptedBot().Then(new BotAnswer([BotReply.Of("should not be sent")]));

        var result = await Apply(Turns(bot), Agent(), ChatTurnsTests.Customer("hello?"));

        Assert.Empty(bot.Inputs);
        Assert.Empty(result.Calls);
    }

    [Fact]
    public async Task The_bot_hears_the_chat_and_the_customers_text_media_and_custom_payload()
    {
        var bot = new ScriptedBot();
        var mo = new MoMessage
        {
            From = new MoParty { Number = "+31611111111" },
            To = new MoParty { Number = "+3197010000000" },
            Channel = "WhatsApp",
            Reference = "ref-1",
            TimeUtc = Now.AddSeconds(-3),
            Message = new MoContent
            {
                Text = "look",
                Media = new MoMedia { MediaUri = "https://example.com/a.jpg", ContentType = "image/jpeg" },
                Custom = JsonDocument.Parse("""{"order":"AB-1"}""").RootElement,
            },
        };
        var item = new InboxItem("k", InboxKind.Customer, JsonSerializer.Serialize(mo, CoreJson.Default.MoMessage), Now);

        await Apply(Turns(bot), ChatState.New(ChatId, Now) with { BotState = "saved" }, item);

        var input = Assert.Single(bot.Inputs);
        Assert.Equal((ChatId, BotEvent.Message, "WhatsApp", "+31611111111", "ref-1"), (input.ChatId, input.Event, input.Channel, input.CustomerNumber, input.Reference));
        Assert.Equal(Now.AddSeconds(-3), input.TimeUtc);
        Assert.Equal("look", input.Message.Text);
        Assert.Equal(new BotMedia("https://example.com/a.jpg", "image/jpeg"), input.Message.Media);
        Assert.Equal("AB-1", input.Message.Custom!.Value.GetProperty("order").GetString());
        Assert.Equal("saved", input.State);
    }

    [Fact]
    public async Task The_bots_new_state_is_kept_and_handed_to_it_next_time()
    {
        var bot = new ScriptedBot().Then(new BotAnswer([BotReply.Of("hi")], State: "one")).Then(i => new BotAnswer([BotReply.Of("again")], State: i.State + "+two"));
        var turns = Turns(bot);

        var first = await Apply(turns, ChatState.New(ChatId, Now), ChatTurnsTests.Customer("a"));
        var second = await Apply(turns, first.State, ChatTurnsTests.Customer("b"));

        Assert.Equal("one", bot.Inputs[1].State);
        Assert.Equal("one+two", second.State.BotState);
    }

    [Fact]
    public async Task A_state_over_the_limit_is_dropped_and_noted()
    {
        var bot = new ScriptedBot().Then(new BotAnswer([BotReply.Of("hi")], State: new string('x', BotAnswer.MaxStateChars + 1)));

        var result = await Apply(Turns(bot), ChatState.New(ChatId, Now) with { BotState = "old" }, ChatTurnsTests.Customer("a"));

        Assert.Null(result.State.BotState);
        Assert.Contains(result.State.History, h => h.Action == "state" && h.Outcome.Contains("dropped", StringComparison.Ordinal));
        Assert.Equal(RouterCallKind.Reply, Assert.Single(result.Calls).Kind);
    }

    [Fact]
    public async Task A_state_far_over_a_table_row_but_under_the_ceiling_is_kept_whole()
    {
        var large = new string('x', 200_000);
        var bot = new ScriptedBot().Then(new BotAnswer([BotReply.Of("hi")], State: large));

        var result = await Apply(Turns(bot), ChatState.New(ChatId, Now) with { BotState = "old" }, ChatTurnsTests.Customer("a"));

        Assert.Equal(large, result.State.BotState);
        Assert.DoesNotContain(result.State.History, h => h.Action == "state");
    }

    [Fact]
    public async Task A_bots_hand_over_sends_its_texts_then_the_disable_mutation_with_its_context()
    {
        var context = new Dictionary<string, string> { ["team"] = "billing", ["reason"] = "refund" };
        var bot = new ScriptedBot().Then(new BotAnswer([BotReply.Of("One moment."), BotReply.Of("A colleague takes over.")], new BotHandOver(context)));

        var result = await Apply(Turns(bot), ChatState.New(ChatId, Now), ChatTurnsTests.Customer("refund please"));

        Assert.Equal([RouterCallKind.Reply, RouterCallKind.Reply, RouterCallKind.Mutation], result.Calls.Select(c => c.Kind));
        Assert.Equal(["One moment.", "A colleague takes over."], result.Calls.Take(2).Select(Text));
        Assert.Equal(
            $$$"""{"ChatId":"{{{ChatId}}}","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}],"Context":{"team":"billing","reason":"refund"}}""",
            result.Calls[2].Body);
        Assert.Equal(RoutingMode.Agent, result.State.Mode);
        Assert.Equal(context, result.State.Context);
        Assert.All(result.Calls, c => Assert.Equal(result.State.Epoch, c.Epoch));
    }

    [Fact]
    public async Task Suggestions_become_reply_suggestions_with_their_postback()
    {
        var bot = new ScriptedBot().Then(new BotAnswer([new BotReply("Pick one", [new BotSuggestion("Orders", "/orders"), new BotSuggestion("Billing")])]));

        var result = await Apply(Turns(bot), ChatState.New(ChatId, Now), ChatTurnsTests.Customer("hi"));

        var rich = Msg(Assert.Single(result.Calls))["richContent"]!;
        Assert.Equal("Pick one", rich["conversation"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(
            """[{"action":"reply","label":"Orders","postbackdata":"/orders"},{"action":"reply","label":"Billing","postbackdata":"Billing"}]""",
            rich["suggestions"]!.ToJsonString());
    }

    [Fact]
    public async Task Media_goes_out_as_rich_content_after_the_text()
    {
        var bot = new ScriptedBot().Then(new BotAnswer([new BotReply("Your invoice", [], new BotMedia("https://example.com/invoice.pdf", "application/pdf"))]));

        var result = await Apply(Turns(bot), ChatState.New(ChatId, Now), ChatTurnsTests.Customer("invoice"));

        var msg = Msg(Assert.Single(result.Calls));
        Assert.Equal("Your invoice", msg["body"]!["content"]!.GetValue<string>());
        Assert.Equal(
            """[{"text":"Your invoice"},{"media":{"mediaName":"invoice.pdf","mediaUri":"https://example.com/invoice.pdf","mimeType":"application/pdf"}}]""",
            msg["richContent"]!["conversation"]!.ToJsonString());
    }

    [Fact]
    public async Task A_text_longer_than_the_channel_takes_goes_out_as_several_replies_cut_at_words_in_order()
    {
        var words = Enumerable.Range(0, 1200).Select(i => $"word{i}").ToList();
        var text = string.Join(' ', words);
        var bot = new ScriptedBot().Then(new BotAnswer([new BotReply(text, [new BotSuggestion("OK")])]));

        var result = await Apply(Turns(bot), ChatState.New(ChatId, Now) with { Channel = "WhatsApp" }, ChatTurnsTests.Customer("tell me everything"));

        Assert.True(text.Length > 2 * 4096);
        Assert.Equal(3, result.Calls.Count);
        var parts = result.Calls.Select(Text).ToList();
        Assert.All(parts, p => Assert.InRange(p.Length, 1, 4096));
        Assert.Equal(words, parts.SelectMany(p => p.Split(' ')));
        Assert.All(result.Calls.SkipLast(1), c => Assert.Null(Msg(c)["richContent"]));
        Assert.NotNull(Msg(result.Calls[^1])["richContent"]!["suggestions"]);
    }

    [Fact]
    public async Task Hand_back_to_a_bot_without_flows_enables_then_tells_the_bot_the_step_without_a_position_request()
    {
        var bot = new ScriptedBot().Then(i => new BotAnswer([BotReply.Of($"Back at {i.Position?.StepId}")]));

        var result = await Apply(Turns(bot), Agent(), Command(OperatorAction.HandBack, "billing", "topic"));

        Assert.Equal([RouterCallKind.Mutation, RouterCallKind.Reply], result.Calls.Select(c => c.Kind));
        Assert.Contains("enableComponent", result.Calls[0].Body, StringComparison.Ordinal);
        Assert.Equal("Back at topic", Text(result.Calls[1]));
        var input = Assert.Single(bot.Inputs);
        Assert.Equal((BotEvent.HandBack, new BotPosition("billing", "topic")), (input.Event, input.Position));
        Assert.Equal(RoutingMode.Bot, result.State.Mode);
        Assert.Equal(result.State.Epoch, result.Calls[1].Epoch);
    }

    [Fact]
    public async Task Hand_back_to_a_bot_with_flows_positions_before_the_bots_answer()
    {
        var bot = new ScriptedBot(FlowSetValidator.LoadDefault()).Then(new BotAnswer([BotReply.Of("Billing: what is it about?")], Position: new BotPosition("billing", "topic")));

        var result = await Apply(Turns(bot), Agent(), Command(OperatorAction.HandBack, "billing", "topic"));

        Assert.Equal([RouterCallKind.Mutation, RouterCallKind.Position, RouterCallKind.Reply], result.Calls.Select(c => c.Kind));
        Assert.Equal(("billing", "topic"), (result.State.FlowId, result.State.StepId));
    }

    [Fact]
    public async Task Take_over_and_operator_hand_over_never_ask_the_bot()
    {
        var bot = new ScriptedBot();
        var turns = Turns(bot);

        var taken = await Apply(turns, ChatState.New(ChatId, Now), Command(OperatorAction.TakeOver));
        var handed = await Apply(turns, ChatState.New(ChatId, Now), ChatTurnsTests.Operator(new OperatorCommand { Action = OperatorAction.HandOver, Context = new Dictionary<string, string> { ["team"] = "sales" } }));

        Assert.Empty(bot.Inputs);
        Assert.Equal(RouterCallKind.Mutation, Assert.Single(taken.Calls).Kind);
        Assert.Contains("\"team\":\"sales\"", Assert.Single(handed.Calls).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reset_forgets_the_bots_state_and_tells_the_bot_after_the_reset_call()
    {
        var bot = new ScriptedBot().Then(i => new BotAnswer([BotReply.Of("Fresh start")], State: i.State ?? "new"));
        var state = Agent() with { BotState = "memory", FlowId = "x", StepId = "y" };

        var result = await Apply(Turns(bot), state, Command(OperatorAction.Reset));

        Assert.Equal([RouterCallKind.Reset, RouterCallKind.Reply], result.Calls.Select(c => c.Kind));
        var input = Assert.Single(bot.Inputs);
        Assert.Equal(BotEvent.Reset, input.Event);
        Assert.Null(input.State);
        Assert.Equal("new", result.State.BotState);
        Assert.Equal((RoutingMode.Bot, (string?)null, (string?)null), (result.State.Mode, result.State.FlowId, result.State.StepId));
    }

    [Fact]
    public async Task A_bot_that_cannot_be_reached_leaves_the_turn_undecided()
    {
        var turns = Turns(new FailingBot());

        await Assert.ThrowsAsync<BotUnavailableException>(() => Apply(turns, ChatState.New(ChatId, Now), ChatTurnsTests.Customer("hi")));
    }

    private sealed class FailingBot : IBot
    {
        public FlowSet? Flows => null;

        public Task<BotAnswer> AnswerAsync(BotInput input, CancellationToken cancellationToken) =>
            throw new BotUnavailableException("down");
    }
}
