using System.Text.Json.Nodes;
using BotRouter.Core.Chats;
using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;
using BotRouter.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BotRouter.IntegrationTests;

/// <summary>
/// The seed's scenarios end to end through the function classes and processors, on real Azurite and a real
/// HTTP router fake, checking the exact bodies the Bot Router receives and their order.
/// </summary>
public sealed class RoutingScenarioTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private AppHarness app = null!;

    public async ValueTask InitializeAsync() => app = await AppHarness.StartAsync(azurite);

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private Task Say(string chatId, string text, string? reference = null) => app.SayAsync(chatId, app.Webhook(chatId, text, reference));

    private Task Operator(Func<ChatOperations, Microsoft.AspNetCore.Http.HttpRequest, Task<BotRouter.Functions.Http.AcceptedWithSignal>> call, string chatId, string? body = null, int expected = 202) =>
        app.OperateAsync(call, chatId, body, expected);

    private List<RecordedCall> CallsFor(string chatId, string customer = "+31612345678") =>
        app.Router.Calls.Where(c => c.Status == 200 && (c.Body.Contains(chatId, StringComparison.Ordinal) || c.Path.Contains(chatId, StringComparison.Ordinal) || c.Body.Contains(customer, StringComparison.Ordinal))).ToList();

    [Fact]
    public async Task A_customer_message_is_answered_through_BMProxy_with_the_exact_body_and_token()
    {
        var chatId = AppHarness.NewChatId();

        await Say(chatId, "Hello");

        var call = Assert.Single(app.Router.To("/bmproxy/"));
        Assert.Equal($"/conversational/bmproxy/v1/accounts/{app.AccountId}", call.Path);
        Assert.Equal(AppHarness.ProductToken, call.Token);
        Assert.StartsWith("application/json", call.ContentType, StringComparison.Ordinal);
        var msg = call.Json!["messages"]!["msg"]![0]!;
        Assert.Equal("+3197010000000", msg["from"]!.GetValue<string>());
        Assert.Equal("+31612345678", msg["to"]![0]!["number"]!.GetValue<string>());
        Assert.Equal("WhatsApp", msg["allowedChannels"]![0]!.GetValue<string>());
        Assert.Equal("auto", msg["body"]!["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(msg["reference"]!.GetValue<string>()));
        Assert.Equal(3, msg["richContent"]!["suggestions"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_webhook_delivered_twice_is_answered_once()
    {
        var chatId = AppHarness.NewChatId();
        var body = app.Webhook(chatId, "Hello");

        foreach (var delivery in new[] { body, body })
        {
            var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), delivery);
            Assert.True(answer.Status == 200, answer.Body);
            await app.DrainAsync(chatId);
        }

        Assert.Single(CallsFor(chatId));
    }

    [Fact]
    public async Task Two_different_messages_that_share_a_reference_are_both_answered()
    {
        var chatId = AppHarness.NewChatId();
        var reference = Guid.NewGuid().ToString();

        await Say(chatId, "Hello", reference);
        await Say(chatId, "billing", reference);

        Assert.Equal(2, CallsFor(chatId).Count);
    }

    [Fact]
    public async Task Messages_of_one_chat_are_answered_in_arrival_order()
    {
        var chatId = AppHarness.NewChatId();
        foreach (var text in new[] { "hi", "1", "AB-12345" })
        {
            var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(chatId, text));
            Assert.True(answer.Status == 200, answer.Body);
        }

        await app.DrainAsync(chatId);

        var texts = CallsFor(chatId).Select(c => c.Json!["messages"]!["msg"]![0]!["body"]!["content"]!.GetValue<string>()).ToList();
        Assert.Equal(4, texts.Count);
        Assert.StartsWith("Hi!", texts[0], StringComparison.Ordinal);
        Assert.Contains("order number", texts[1], StringComparison.Ordinal);
        Assert.Contains("AB-12345", texts[2], StringComparison.Ordinal);
        Assert.Contains("anything else", texts[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keyword_hand_over_sends_the_notice_then_disables_the_bot_with_the_team_and_the_chat_shows_agent_mode()
    {
        var chatId = AppHarness.NewChatId();

        await Say(chatId, "hello");
        await Say(chatId, "I want to talk to a HUMAN");

        var calls = CallsFor(chatId);
        Assert.Equal(["bmproxy", "bmproxy", "mutationrequests"], calls.Select(c => c.Path.Split('/')[c.Path.Contains("bmproxy", StringComparison.Ordinal) ? 2 : ^1]));
        Assert.Equal($"/conversational/control/v1/accounts/{app.AccountId}/chats/{chatId}/routing/mutationrequests", calls[2].Path);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$$"""{"ChatId":"{{{chatId}}}","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}],"Context":{"team":"general"}}"""),
            calls[2].Json));
        var view = await app.ExecuteAsync(r => app.Function<ChatOperations>().Get(r, chatId, CancellationToken.None));
        Assert.Equal("agent", view.Problem("mode"));
        Assert.Equal("CustomerContact", view.Problem("component"));
        Assert.Equal("general", view.Json!["context"]!["team"]!.GetValue<string>());
        var handOver = view.Json!["history"]!.AsArray().Last(h => h!["action"]!.GetValue<string>() == "hand-over")!;
        Assert.Equal("disableComponent CmBot with context team=general; CustomerContact has the chat", handOver["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_chat_view_and_history_name_the_configured_components_and_no_router_call_names_the_agent()
    {
        await using var custom = await AppHarness.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["BotRouter:BotComponentId"] = "OurBot",
            ["BotRouter:AgentComponentId"] = "OurAgents",
        });
        var chatId = AppHarness.NewChatId();
        async Task<HttpAnswer> View() => await custom.ExecuteAsync(r => custom.Function<ChatOperations>().Get(r, chatId, CancellationToken.None));
        async Task Run(Func<ChatOperations, Microsoft.AspNetCore.Http.HttpRequest, Task<BotRouter.Functions.Http.AcceptedWithSignal>> call)
        {
            Assert.Equal(202, (await custom.ExecuteAsync(r => call(custom.Function<ChatOperations>(), r))).Status);
            await custom.DrainAsync(chatId);
        }

        Assert.Equal(200, (await custom.ExecuteAsync(r => custom.Function<Webhook>().Run(r, CancellationToken.None), custom.Webhook(chatId, "hello"))).Status);
        await custom.DrainAsync(chatId);
        Assert.Equal("OurBot", (await View()).Problem("component"));

        await Run((f, r) => f.TakeOver(r, chatId, CancellationToken.None));
        var taken = await View();
        Assert.Equal("OurAgents", taken.Problem("component"));
        Assert.Equal("disableComponent OurBot; OurAgents has the chat", taken.Json!["history"]!.AsArray().Last(h => h!["action"]!.GetValue<string>() == "take-over")!["outcome"]!.GetValue<string>());

        await Run((f, r) => f.HandBack(r, chatId, CancellationToken.None));
        Assert.Equal("OurBot", (await View()).Problem("component"));

        var mutations = custom.Router.Calls.Where(c => c.Path.EndsWith("/mutationrequests", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, mutations.Count);
        Assert.All(mutations, m => Assert.Equal("OurBot", m.Json!["Mutations"]![0]!["ComponentId"]!.GetValue<string>()));
        Assert.DoesNotContain(custom.Router.Calls, c => c.Body.Contains("OurAgents", StringComparison.Ordinal) || c.Path.Contains("OurAgents", StringComparison.Ordinal));
    }

    [Fact]
    public async Task After_a_take_over_the_customer_is_recorded_and_never_answered()
    {
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hello");

        await Operator((f, r) => f.TakeOver(r, chatId, CancellationToken.None), chatId);
        await Say(chatId, "anyone there?");

        var calls = CallsFor(chatId);
        Assert.Equal(2, calls.Count);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$"""{"ChatId":"{{chatId}}","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}]}"""),
            calls[1].Json));
        var state = await app.Services.GetRequiredService<IChatStore>().GetAsync(Core.Chats.ChatId.Parse(chatId), CancellationToken.None);
        Assert.Equal(RoutingMode.Agent, state!.Mode);
        Assert.Equal("recorded; an agent owns the chat", state.History[^1].Outcome);
    }

    [Fact]
    public async Task Hand_back_enables_the_bot_then_positions_it_and_the_bot_speaks_that_step()
    {
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hello");
        await Operator((f, r) => f.TakeOver(r, chatId, CancellationToken.None), chatId);

        await Operator((f, r) => f.HandBack(r, chatId, CancellationToken.None), chatId, """{"flowId":"billing","stepId":"topic"}""");

        var calls = CallsFor(chatId).Skip(2).ToList();
        Assert.Equal(3, calls.Count);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""{"ChatId":"{{chatId}}","Mutations":[{"$type":"enableComponent","ComponentId":"CmBot"}]}"""), calls[0].Json));
        Assert.Equal($"/conversational/control/v1/accounts/{app.AccountId}/sessions/positionrequests", calls[1].Path);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""{"ChatId":"{{chatId}}","FlowId":"billing","StepId":"topic"}"""), calls[1].Json));
        Assert.Equal("What is your billing question about?", calls[2].Json!["messages"]!["msg"]![0]!["body"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Hand_back_to_an_unknown_step_is_a_400_problem_and_changes_nothing()
    {
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hello");

        await Operator((f, r) => f.HandBack(r, chatId, CancellationToken.None), chatId, """{"flowId":"billing","stepId":"nope"}""", expected: 400);

        Assert.Single(CallsFor(chatId));
    }

    [Fact]
    public async Task Reset_posts_to_the_reset_path_without_a_body_and_the_chat_is_back_at_the_start_in_bot_mode()
    {
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "agent");

        await Operator((f, r) => f.Reset(r, chatId, CancellationToken.None), chatId);

        var reset = Assert.Single(app.Router.To("/reset"));
        Assert.Equal($"/conversational/control/v1/accounts/{app.AccountId}/sessions/{chatId}/reset", reset.Path);
        Assert.Equal(string.Empty, reset.Body);
        Assert.Equal(AppHarness.ProductToken, reset.Token);
        var state = await app.Services.GetRequiredService<IChatStore>().GetAsync(Core.Chats.ChatId.Parse(chatId), CancellationToken.None);
        Assert.Equal((RoutingMode.Bot, "main", "welcome"), (state!.Mode, state.FlowId, state.StepId));
    }

    [Fact]
    public async Task A_router_outage_is_retried_and_the_reply_is_sent_once_it_recovers()
    {
        var chatId = AppHarness.NewChatId();
        app.Router.FailNext(503, 503, 503, 503);
        var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(chatId, "hello"));
        Assert.True(answer.Status == 200, answer.Body);

        // First attempt: the client's own retries are spent on the outage; the failure is noted on the chat and
        // its signal comes back a little later (here: drained again by hand).
        await app.DrainAsync(chatId);
        Assert.Empty(CallsFor(chatId));
        Assert.Contains("RouterUnavailableException", (await app.Services.GetRequiredService<IChatStore>().GetAsync(Core.Chats.ChatId.Parse(chatId), CancellationToken.None))!.LastFailure!.Error, StringComparison.Ordinal);
        await app.DrainAsync(chatId);

        Assert.Single(CallsFor(chatId));
        Assert.Equal(4, app.Router.Calls.Count(c => c.Status == 503));
    }

    [Fact]
    public async Task Operator_input_that_is_not_a_guid_is_a_400_problem()
    {
        var answer = await app.ExecuteAsync(r => app.Function<ChatOperations>().TakeOver(r, "nope", CancellationToken.None));

        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task Unknown_chat_is_a_404_problem()
    {
        var answer = await app.ExecuteAsync(r => app.Function<ChatOperations>().Get(r, AppHarness.NewChatId(), CancellationToken.None));

        Assert.Equal(404, answer.Status);
    }

    [Fact]
    public async Task A_take_over_racing_a_customer_message_never_lets_a_bot_reply_out_after_it()
    {
        for (var round = 0; round < 15; round++)
        {
            var chatId = AppHarness.NewChatId();
            await Say(chatId, "hello");

            // The customer writes while an agent takes over; processors for the chat run concurrently, as queue triggers do.
            await Task.WhenAll(
                app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(chatId, "1")),
                app.ExecuteAsync(r => app.Function<ChatOperations>().TakeOver(r, chatId, CancellationToken.None)));
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => app.DrainAsync(chatId))));
            await app.DrainAsync(chatId);

            var calls = CallsFor(chatId);
            var disable = calls.FindIndex(c => c.Path.EndsWith("/mutationrequests", StringComparison.Ordinal));
            Assert.True(disable > 0, $"round {round}: no disable mutation");
            Assert.DoesNotContain(calls.Skip(disable + 1), c => c.Path.Contains("/bmproxy/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_call_CM_refuses_lands_in_the_poison_queue_with_its_reason_and_a_replay_sends_it_once()
    {
        var chatId = AppHarness.NewChatId();
        app.Router.FailNext(400);
        var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(chatId, "hello"));
        Assert.Equal(200, answer.Status);
        await app.DrainAsync(chatId);
        Assert.Empty(CallsFor(chatId));

        var poison = await app.ExecuteAsync(r => app.Function<Operations>().ListPoison(r, CancellationToken.None));
        var listed = poison.Json!["messages"]!.AsArray().Single(m => m!["chatId"]?.GetValue<string>() == chatId)!;
        Assert.Equal("inbound", listed["queue"]!.GetValue<string>());
        Assert.Contains("(400)", listed["lastError"]!.GetValue<string>(), StringComparison.Ordinal);

        var replay = await app.ExecuteAsync(r => app.Function<Operations>().ReplayPoison(r, CancellationToken.None), $$"""{"queue":"inbound","ids":["{{listed["id"]!.GetValue<string>()}}"]}""");
        Assert.Equal(1, replay.Json!["replayed"]!.GetValue<int>());
        Assert.True(await app.ProcessQueuedAsync(chatId) > 0);
        await app.DrainAsync(chatId);

        Assert.Single(CallsFor(chatId));
        Assert.Null((await app.Services.GetRequiredService<IChatStore>().GetAsync(Core.Chats.ChatId.Parse(chatId), CancellationToken.None))!.LastFailure);
    }
}
