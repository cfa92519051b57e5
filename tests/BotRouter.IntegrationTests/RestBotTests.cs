using System.Text.Json.Nodes;
using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;
using BotRouter.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace BotRouter.IntegrationTests;

/// <summary>
/// <c>Bot__Kind=rest</c> end to end through the function classes and processors: real Azurite, a real HTTP fake of
/// the Bot Router and a real HTTP fake of a vendor's REST bot, driven through the app's own typed client.
/// </summary>
public sealed class RestBotTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly FakeLogCollector logs = new();
    private RestBotFake bot = null!;
    private AppHarness app = null!;

    public async ValueTask InitializeAsync()
    {
        bot = await RestBotFake.StartAsync();
        app = await AppHarness.StartAsync(
            azurite,
            new Dictionary<string, string?> { ["Bot:Kind"] = "rest", ["Bot:Url"] = bot.Url },
            logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        await bot.DisposeAsync();
    }

    private Task Say(string chatId, string text, string channel = "WhatsApp") => app.SayAsync(chatId, app.Webhook(chatId, text, channel: channel));

    private Task Operator(Func<ChatOperations, Microsoft.AspNetCore.Http.HttpRequest, Task<BotRouter.Functions.Http.AcceptedWithSignal>> call, string chatId, string? body = null) =>
        app.OperateAsync(call, chatId, body);

    private List<RecordedCall> CallsFor(string chatId) =>
        app.Router.Calls.Where(c => c.Status == 200 && (c.Body.Contains(chatId, StringComparison.Ordinal) || c.Path.Contains(chatId, StringComparison.Ordinal) || c.Body.Contains("+31612345678", StringComparison.Ordinal))).ToList();

    private static string Text(RecordedCall call) => call.Json!["messages"]!["msg"]![0]!["body"]!["content"]!.GetValue<string>();

    [Fact]
    public async Task The_bot_is_told_the_chat_and_the_message_in_the_rest_channel_protocol()
    {
        var chatId = AppHarness.NewChatId();

        await Say(chatId, "Hello bot");

        var request = Assert.Single(bot.Requests);
        Assert.Equal(chatId, request["sender"]!.GetValue<string>());
        Assert.Equal("Hello bot", request["message"]!.GetValue<string>());
        var metadata = request["metadata"]!;
        Assert.Equal(("message", "WhatsApp", "+31612345678"), (metadata["event"]!.GetValue<string>(), metadata["channel"]!.GetValue<string>(), metadata["customer"]!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(metadata["reference"]!.GetValue<string>()));
        Assert.True(DateTimeOffset.TryParse(metadata["timeUtc"]!.GetValue<string>(), out _));
        Assert.Equal("echo: Hello bot", Text(Assert.Single(CallsFor(chatId))));
    }

    [Fact]
    public async Task The_bot_is_told_the_customers_media_and_custom_payload()
    {
        var chatId = AppHarness.NewChatId();
        var webhook = JsonNode.Parse(app.Webhook(chatId, null))!;
        webhook["message"]!["media"] = new JsonObject { ["mediaUri"] = "https://example.com/photo.jpg", ["contentType"] = "image/jpeg", ["title"] = "photo" };
        webhook["message"]!["custom"] = new JsonObject { ["order"] = "AB-1" };

        var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), webhook.ToJsonString());
        Assert.Equal(200, answer.Status);
        await app.DrainAsync(chatId);

        var request = Assert.Single(bot.Requests);
        Assert.Equal("", request["message"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"mediaUri":"https://example.com/photo.jpg","contentType":"image/jpeg","title":"photo"}"""),
            request["metadata"]!["media"]));
        Assert.Equal("AB-1", request["metadata"]!["custom"]!["order"]!.GetValue<string>());
    }

    [Fact]
    public async Task Text_with_buttons_becomes_a_BM_reply_with_suggestions()
    {
        var chatId = AppHarness.NewChatId();
        bot.Answer("""[{"recipient_id":"x","text":"What can I do?","buttons":[{"title":"Orders","payload":"/orders"},{"title":"Billing","payload":"/billing"}]}]""");

        await Say(chatId, "hi");

        var msg = Assert.Single(CallsFor(chatId)).Json!["messages"]!["msg"]![0]!;
        Assert.Equal("What can I do?", msg["body"]!["content"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""[{"action":"reply","label":"Orders","postbackdata":"/orders"},{"action":"reply","label":"Billing","postbackdata":"/billing"}]"""),
            msg["richContent"]!["suggestions"]));
    }

    [Fact]
    public async Task An_image_becomes_a_media_reply()
    {
        var chatId = AppHarness.NewChatId();
        bot.Answer("""[{"text":"Here it is"},{"image":"https://example.com/map.png"}]""");

        await Say(chatId, "map?");

        var calls = CallsFor(chatId);
        Assert.Equal(2, calls.Count);
        Assert.Equal("Here it is", Text(calls[0]));
        Assert.Equal("https://example.com/map.png", calls[1].Json!["messages"]!["msg"]![0]!["richContent"]!["conversation"]![0]!["media"]!["mediaUri"]!.GetValue<string>());
    }

    [Fact]
    public async Task Custom_handover_sends_the_notice_then_disables_the_bot_with_its_context()
    {
        var chatId = AppHarness.NewChatId();
        bot.Answer("""[{"text":"A colleague will help you."},{"custom":{"handover":{"context":{"team":"billing","priority":"high"}}}}]""");

        await Say(chatId, "I want a refund");

        var calls = CallsFor(chatId);
        Assert.Equal(2, calls.Count);
        Assert.Equal("A colleague will help you.", Text(calls[0]));
        Assert.Equal($"/conversational/control/v1/accounts/{app.AccountId}/chats/{chatId}/routing/mutationrequests", calls[1].Path);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$$"""{"ChatId":"{{{chatId}}}","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}],"Context":{"team":"billing","priority":"high"}}"""),
            calls[1].Json));
        var view = await app.ExecuteAsync(r => app.Function<ChatOperations>().Get(r, chatId, CancellationToken.None));
        Assert.Equal("agent", view.Problem("mode"));
    }

    [Fact]
    public async Task In_agent_mode_the_bot_is_never_called()
    {
        var chatId = AppHarness.NewChatId();

        await Operator((f, r) => f.TakeOver(r, chatId, CancellationToken.None), chatId);
        await Say(chatId, "anyone there?");

        Assert.Empty(bot.Requests);
        Assert.DoesNotContain(CallsFor(chatId), c => c.Path.Contains("bmproxy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bot_failing_twice_then_answering_gives_one_answer()
    {
        var chatId = AppHarness.NewChatId();
        bot.Fail(500, times: 2).Answer("""[{"text":"Sorry for the wait"}]""");

        await Say(chatId, "hello?");

        Assert.Equal(3, bot.Requests.Count);
        Assert.Equal(["Sorry for the wait"], CallsFor(chatId).Select(Text));
    }

    [Fact]
    public async Task A_bot_that_stays_down_sends_nothing_and_the_message_is_answered_once_it_recovers()
    {
        var chatId = AppHarness.NewChatId();
        bot.Fail(503, times: 3);
        var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(chatId, "hello?"));
        Assert.Equal(200, answer.Status);

        await app.DrainAsync(chatId);
        Assert.Empty(CallsFor(chatId));
        var state = await app.Services.GetRequiredService<BotRouter.Core.Chats.IChatStore>().GetAsync(BotRouter.Core.Chats.ChatId.Parse(chatId), CancellationToken.None);
        Assert.Contains("BotUnavailableException", state!.LastFailure!.Error, StringComparison.Ordinal);

        await app.DrainAsync(chatId); // the delayed retry
        Assert.Equal(["echo: hello?"], CallsFor(chatId).Select(Text));
    }

    [Fact]
    public async Task A_malformed_answer_gets_the_customer_the_fallback_and_a_warning_with_the_reason()
    {
        var chatId = AppHarness.NewChatId();
        bot.Answer("""{"text":"not in an array"}""");

        await Say(chatId, "my secret question");

        Assert.Equal(["Sorry, something went wrong on our side. Please try again in a moment."], CallsFor(chatId).Select(Text));
        var warning = Assert.Single(logs.GetSnapshot(), l => l.Id.Id == 3001);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("expected an array of messages", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.GetSnapshot(), l => l.Level >= LogLevel.Information && l.Message.Contains("my secret question", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_button_with_a_wrong_type_is_malformed_too()
    {
        var chatId = AppHarness.NewChatId();
        bot.Answer("""[{"text":"Pick","buttons":[{"title":7}]}]""");

        await Say(chatId, "hi");

        Assert.Equal(["Sorry, something went wrong on our side. Please try again in a moment."], CallsFor(chatId).Select(Text));
        Assert.Contains(logs.GetSnapshot(), l => l.Id.Id == 3001 && l.Message.Contains("[0].buttons[0]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hand_back_enables_the_bot_and_tells_it_with_a_handback_event_and_no_position_request()
    {
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hi");
        await Operator((f, r) => f.TakeOver(r, chatId, CancellationToken.None), chatId);
        bot.Answer("""[{"text":"I'm back. Anything else?"}]""");

        await Operator((f, r) => f.HandBack(r, chatId, CancellationToken.None), chatId, """{"flowId":"billing","stepId":"topic"}""");

        var handBack = bot.Requests.Last();
        Assert.Equal("", handBack["message"]!.GetValue<string>());
        Assert.Equal(("handback", "billing", "topic"), (handBack["metadata"]!["event"]!.GetValue<string>(), handBack["metadata"]!["flowId"]!.GetValue<string>(), handBack["metadata"]!["stepId"]!.GetValue<string>()));
        var calls = CallsFor(chatId).Skip(2).ToList(); // after the first answer and the take-over
        Assert.Equal(2, calls.Count);
        Assert.Contains("\"enableComponent\"", calls[0].Body, StringComparison.Ordinal);
        Assert.Equal("I'm back. Anything else?", Text(calls[1]));
        Assert.DoesNotContain(app.Router.Calls, c => c.Path.Contains("positionrequests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_long_text_goes_out_as_several_replies_cut_at_word_boundaries_in_order()
    {
        var chatId = AppHarness.NewChatId();
        var words = Enumerable.Range(0, 100).Select(i => $"w{i:D3}").ToList(); // 100 words of 4 characters: 499 characters
        bot.Answer(new JsonArray(new JsonObject { ["text"] = string.Join(' ', words) }).ToJsonString());

        await Say(chatId, "tell me", channel: "SMS");

        var texts = CallsFor(chatId).Select(Text).ToList();
        Assert.Equal(4, texts.Count);
        Assert.All(texts, t => Assert.InRange(t.Length, 1, 160));
        Assert.Equal(words, texts.SelectMany(t => t.Split(' ')));
    }

    [Fact]
    public async Task The_flows_endpoint_says_plainly_that_the_bot_has_no_flows()
    {
        var answer = await app.ExecuteAsync(r => Task.FromResult(app.Function<Operations>().Flows(r)));

        Assert.Equal(200, answer.Status);
        Assert.Equal("rest", answer.Json!["kind"]!.GetValue<string>());
        Assert.Empty(answer.Json!["flows"]!.AsArray());
        Assert.Contains("no flows", answer.Json!["note"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
