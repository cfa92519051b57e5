using System.Text.Json;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;
using BotRouter.Core.Flows;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;

namespace BotRouter.UnitTests;

public class ChatTurnsTests
{
    internal const string ChatId = "47e755ad-69a2-4139-a610-c53d0c8deb4b";
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
    private readonly ChatTurns turns = new(new FlowsBot(new FlowBot(FlowSetValidator.LoadDefault())), Kit.TestRouter.Requests(), new SequentialIds(), ConversationRules.Default);

    internal static InboxItem Customer(string? text, string from = "+31611111111", string to = "+3197010000000", string channel = "WhatsApp")
    {
        var mo = new MoMessage
        {
            From = new MoParty { Number = from },
            To = new MoParty { Number = to },
            Message = new MoContent { Text = text },
            Reference = Guid.NewGuid().ToString(),
            Channel = channel,
            ConversationalRouter = new ConversationalRouter { ChatId = ChatId, AccountId = Guid.NewGuid().ToString() },
        };
        return new InboxItem("k", InboxKind.Customer, JsonSerializer.Serialize(mo, CoreJson.Default.MoMessage), Now);
    }

    internal static InboxItem Operator(OperatorCommand command) =>
        new("k", InboxKind.Operator, JsonSerializer.Serialize(command, CoreJson.Default.OperatorCommand), Now);

    [Fact]
    public async Task A_customer_message_in_bot_mode_is_answered_from_the_business_number_to_the_customer_on_the_same_channel()
    {
        var result = await turns.ApplyAsync(ChatState.New(ChatId, Now), Customer("hello"), Now, CancellationToken.None);

        var call = Assert.Single(result.Calls);
        Assert.Equal(RouterCallKind.Reply, call.Kind);
        var msg = JsonSerializer.Deserialize(call.Body!, CoreJson.Default.BmSendRequest)!.Messages.Msg.Single();
        Assert.Equal("+3197010000000", msg.From);
        Assert.Equal("+31611111111", msg.To.Single().Number);
        Assert.Equal(["WhatsApp"], msg.AllowedChannels);
        Assert.True(Core.Delivery.ReplyReference.TryParse(msg.Reference, out var named), msg.Reference);
        Assert.Equal(ChatId, named.ToString());
        Assert.EndsWith(call.Id, msg.Reference, StringComparison.Ordinal); // "id1": shorter than the 8 characters kept
        Assert.Equal(("main", "welcome"), (result.State.FlowId, result.State.StepId));
    }

    [Fact]
    public async Task A_customer_message_in_agent_mode_is_recorded_and_never_answered()
    {
        var state = ChatState.New(ChatId, Now).WithMode(RoutingMode.Agent);

        var result = await turns.ApplyAsync(state, Customer("are you there?"), Now, CancellationToken.None);

        Assert.Empty(result.Calls);
        Assert.Equal(RoutingMode.Agent, result.State.Mode);
        Assert.Equal("recorded; an agent owns the chat", result.State.History[^1].Outcome);
    }

    [Fact]
    public async Task Keyword_hand_over_sends_the_notice_then_disables_the_bot_with_the_team_context()
    {
        var result = await turns.ApplyAsync(ChatState.New(ChatId, Now), Customer("I need a human"), Now, CancellationToken.None);

        Assert.Equal([RouterCallKind.Reply, RouterCallKind.Mutation], result.Calls.Select(c => c.Kind));
        Assert.Equal(
            $$$"""{"ChatId":"{{{ChatId}}}","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}],"Context":{"team":"general"}}""",
            result.Calls[1].Body);
        Assert.Equal(RoutingMode.Agent, result.State.Mode);
        Assert.Equal("general", result.State.Context["team"]);
        Assert.All(result.Calls, c => Assert.Equal(result.State.Epoch, c.Epoch));
    }

    [Fact]
    public async Task Operator_take_over_disables_the_bot_without_context_and_moves_the_epoch()
    {
        var before = ChatState.New(ChatId, Now);

        var result = await turns.ApplyAsync(before, Operator(new OperatorCommand { Action = OperatorAction.TakeOver }), Now, CancellationToken.None);

        var call = Assert.Single(result.Calls);
        Assert.Equal($$"""{"ChatId":"{{ChatId}}","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}]}""", call.Body);
        Assert.Equal(RoutingMode.Agent, result.State.Mode);
        Assert.Equal(before.Epoch + 1, result.State.Epoch);
        Assert.Equal(("take-over", "disableComponent CmBot; CustomerContact has the chat"), (result.State.History[^1].Action, result.State.History[^1].Outcome));
    }

    [Fact]
    public void The_chat_view_names_the_component_that_answers_in_each_mode()
    {
        var components = new RouterComponents("OurBot", "OurAgents");
        var chat = ChatState.New(ChatId, Now);
        var none = new Dictionary<string, Core.Delivery.DeliveryStatus>();

        Assert.Equal("OurBot", ChatView.Of(chat, components, none).Component);
        Assert.Equal("OurAgents", ChatView.Of(chat.WithMode(RoutingMode.Agent), components, none).Component);
    }

    [Fact]
    public async Task Operator_hand_over_sends_the_given_context()
    {
        var context = new Dictionary<string, string> { ["team"] = "billing", ["priority"] = "high" };

        var result = await turns.ApplyAsync(ChatState.New(ChatId, Now), Operator(new OperatorCommand { Action = OperatorAction.HandOver, Context = context }), Now, CancellationToken.None);

        var mutation = JsonSerializer.Deserialize(Assert.Single(result.Calls).Body!, CoreJson.Default.MutationRequest)!;
        Assert.Equal(context, mutation.Context);
        Assert.Equal(Mutation.Disable, mutation.Mutations.Single().Type);
    }

    [Fact]
    public async Task Hand_back_enables_then_positions_then_the_bot_speaks_the_step_prompt()
    {
        var agent = ChatState.New(ChatId, Now).WithMode(RoutingMode.Agent) with { CustomerNumber = "+31611111111", BusinessNumber = "+3197010000000", Channel = "SMS" };

        var result = await turns.ApplyAsync(agent, Operator(new OperatorCommand { Action = OperatorAction.HandBack, FlowId = "billing", StepId = "topic" }), Now, CancellationToken.None);

        Assert.Equal([RouterCallKind.Mutation, RouterCallKind.Position, RouterCallKind.Reply], result.Calls.Select(c => c.Kind));
        Assert.Contains("\"$type\":\"enableComponent\"", result.Calls[0].Body, StringComparison.Ordinal);
        Assert.Equal($$"""{"ChatId":"{{ChatId}}","FlowId":"billing","StepId":"topic"}""", result.Calls[1].Body);
        Assert.Equal(RoutingMode.Bot, result.State.Mode);
        Assert.Equal(("billing", "topic"), (result.State.FlowId, result.State.StepId));
        Assert.Equal(result.State.Epoch, result.Calls[2].Epoch);
    }

    [Fact]
    public async Task Hand_back_without_a_position_only_enables_the_bot()
    {
        var agent = ChatState.New(ChatId, Now).WithMode(RoutingMode.Agent);

        var result = await turns.ApplyAsync(agent, Operator(new OperatorCommand { Action = OperatorAction.HandBack }), Now, CancellationToken.None);

        Assert.Equal(RouterCallKind.Mutation, Assert.Single(result.Calls).Kind);
        Assert.Equal(RoutingMode.Bot, result.State.Mode);
    }

    [Fact]
    public async Task Reset_sends_the_reset_and_puts_the_chat_back_to_defaults()
    {
        var state = ChatState.New(ChatId, Now).WithMode(RoutingMode.Agent) with
        {
            FlowId = "orders",
            StepId = "status",
            Context = new Dictionary<string, string> { ["team"] = "billing" },
            Variables = new Dictionary<string, string> { ["orderNumber"] = "AB-1" },
        };

        var result = await turns.ApplyAsync(state, Operator(new OperatorCommand { Action = OperatorAction.Reset }), Now, CancellationToken.None);

        var call = Assert.Single(result.Calls);
        Assert.Equal(RouterCallKind.Reset, call.Kind);
        Assert.Null(call.Body);
        Assert.Equal((RoutingMode.Bot, "main", "welcome"), (result.State.Mode, result.State.FlowId, result.State.StepId));
        Assert.Empty(result.State.Context);
        Assert.Empty(result.State.Variables);
    }

    [Fact]
    public void History_is_bounded_and_keeps_the_newest_events()
    {
        var state = ChatState.New(ChatId, Now);
        for (var i = 0; i < ChatState.HistoryLimit + 10; i++)
        {
            state = state.Record(Now, Actors.Customer, $"m{i}", "x");
        }

        Assert.Equal(ChatState.HistoryLimit, state.History.Count);
        Assert.Equal($"m{ChatState.HistoryLimit + 9}", state.History[^1].Action);
    }

    [Fact]
    public async Task History_never_holds_phone_numbers()
    {
        var result = await turns.ApplyAsync(ChatState.New(ChatId, Now), Customer("hello", from: "+31699988877"), Now, CancellationToken.None);

        Assert.DoesNotContain(result.State.History, h => $"{h.Action}{h.Outcome}".Contains("99988877", StringComparison.Ordinal));
    }

    internal sealed class SequentialIds : IIdSource
    {
        private int next;

        public string NewId() => $"id{++next}";
    }
}
