using System.Text.Json.Nodes;
using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace BotRouter.IntegrationTests;

/// <summary>
/// Session expiry, stale hand-overs and opening hours end to end through the function classes and processors, on
/// real Azurite and a real HTTP router fake, with the app's clock a fake one the test moves.
/// </summary>
public sealed class ConversationLifeScenarioTests(AzuriteFixture azurite) : IAsyncDisposable
{
    /// <summary>Saturday 28 November 2026, 04:00 in Amsterdam: the general team (Mon-Fri 09:00-17:00) is closed.</summary>
    private static readonly DateTimeOffset SaturdayNight = new(2026, 11, 28, 3, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, string?> GeneralHours = new()
    {
        ["Routing:Hours:general:TimeZone"] = "Europe/Amsterdam",
        ["Routing:Hours:general:Weekly"] = "Mon-Fri 09:00-17:00",
        ["Routing:Hours:general:Closed"] = "2026-11-30",
        ["Routing:OutOfHoursNotice"] = "Our team is back on {next}.",
    };

    private FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private AppHarness app = null!;
    private RestBotFake? restBot;
    private OpenAiFake? model;

    private async Task StartAsync(IDictionary<string, string?>? settings = null) =>
        app = await AppHarness.StartAsync(azurite, settings, services: s => s.AddSingleton<TimeProvider>(time));

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        if (restBot is not null)
        {
            await restBot.DisposeAsync();
        }

        if (model is not null)
        {
            await model.DisposeAsync();
        }
    }

    private Task Say(string chatId, string text) => app.SayAsync(chatId, app.Webhook(chatId, text));

    private Task Operator(Func<ChatOperations, Microsoft.AspNetCore.Http.HttpRequest, Task<BotRouter.Functions.Http.AcceptedWithSignal>> call, string chatId, string? body = null) =>
        app.OperateAsync(call, chatId, body);

    /// <summary>What the router got for the chat, in order: "reply: text", "enable", "disable", "position", "reset".</summary>
    private List<string> Calls(string chatId) =>
        [.. app.Router.Calls
            .Where(c => c.Status == 200 && (c.Body.Contains(chatId, StringComparison.Ordinal) || c.Path.Contains(chatId, StringComparison.Ordinal) || c.Body.Contains("+31612345678", StringComparison.Ordinal)))
            .Select(c => c.Path.Contains("bmproxy", StringComparison.Ordinal) ? "reply: " + c.Json!["messages"]!["msg"]![0]!["body"]!["content"]!.GetValue<string>()
                : c.Path.EndsWith("mutationrequests", StringComparison.Ordinal) ? (c.Body.Contains("enableComponent", StringComparison.Ordinal) ? "enable" : "disable")
                : c.Path.Split('/')[^1])];

    private async Task<JsonNode> ViewAsync(string chatId)
    {
        var view = await app.ExecuteAsync(r => app.Function<ChatOperations>().Get(r, chatId, CancellationToken.None));
        Assert.Equal(200, view.Status);
        return view.Json!;
    }

    private static IEnumerable<(string Actor, string Action, string Outcome)> History(JsonNode view) =>
        view["history"]!.AsArray().Select(h => (h!["actor"]!.GetValue<string>(), h["action"]!.GetValue<string>(), h["outcome"]!.GetValue<string>()));

    [Fact]
    public async Task A_customer_who_comes_back_after_the_session_timeout_is_greeted_again_and_the_history_says_why()
    {
        await StartAsync(new Dictionary<string, string?> { ["Bot:SessionTimeout"] = "00:10:00" });
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hello");
        await Say(chatId, "1");

        time.Advance(TimeSpan.FromMinutes(11));
        await Say(chatId, "AB-12345");

        var calls = Calls(chatId);
        Assert.Equal(3, calls.Count);
        Assert.Contains("order number", calls[1], StringComparison.Ordinal);
        Assert.StartsWith("reply: Hi! I'm the virtual assistant", calls[2], StringComparison.Ordinal);
        var view = await ViewAsync(chatId);
        Assert.Equal(("main", "welcome"), (view["flowId"]!.GetValue<string>(), view["stepId"]!.GetValue<string>()));
        Assert.Contains(History(view), h => h is ("bot", "session expired", _) && h.Outcome.Contains("00:11:00", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_customer_who_comes_back_inside_the_session_timeout_goes_on_where_they_were()
    {
        await StartAsync(new Dictionary<string, string?> { ["Bot:SessionTimeout"] = "00:10:00" });
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hello");
        await Say(chatId, "1");

        time.Advance(TimeSpan.FromMinutes(9));
        await Say(chatId, "AB-12345");

        Assert.Contains("AB-12345", Calls(chatId)[2], StringComparison.Ordinal);
        Assert.DoesNotContain(History(await ViewAsync(chatId)), h => h.Action == "session expired");
    }

    [Fact]
    public async Task A_rest_bot_is_told_the_session_is_new_after_the_session_timeout()
    {
        restBot = await RestBotFake.StartAsync();
        await StartAsync(new Dictionary<string, string?> { ["Bot:Kind"] = "rest", ["Bot:Url"] = restBot.Url });
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hello");
        time.Advance(TimeSpan.FromMinutes(29));
        await Say(chatId, "still there?");

        time.Advance(TimeSpan.FromMinutes(31));
        await Say(chatId, "back again");

        var metadata = restBot.Requests.Select(r => r["metadata"]!).ToList();
        Assert.Equal(3, metadata.Count);
        Assert.Null(metadata[0]["newSession"]);
        Assert.Null(metadata[1]["newSession"]);
        Assert.True(metadata[2]["newSession"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_llm_starts_a_new_session_with_an_empty_memory()
    {
        model = await OpenAiFake.StartAsync();
        await StartAsync(new Dictionary<string, string?>
        {
            ["Bot:Kind"] = "openai",
            ["Bot:Endpoint"] = model.Endpoint,
            ["Bot:Model"] = "test-model",
            ["Bot:Instructions"] = "You are the Acme helpdesk.",
        });
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "my parcel is late");
        time.Advance(TimeSpan.FromMinutes(10));
        await Say(chatId, "order 42");

        time.Advance(TimeSpan.FromHours(2));
        await Say(chatId, "hello again");

        var requests = model.Requests.ToList();
        Assert.Equal(3, requests.Count);
        Assert.Equal(["system: You are the Acme helpdesk.", "user: my parcel is late", "assistant: You said: my parcel is late", "user: order 42"], requests[1].Messages);
        Assert.Equal(["system: You are the Acme helpdesk.", "user: hello again"], requests[2].Messages);
    }

    [Fact]
    public async Task A_stale_agent_mode_chat_is_handed_back_on_the_next_message_enable_before_the_greeting()
    {
        await StartAsync(new Dictionary<string, string?> { ["Routing:AgentIdleTimeout"] = "24:00:00" });
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hello");
        await Say(chatId, "agent");
        Assert.Equal("disable", Calls(chatId)[^1]);

        time.Advance(TimeSpan.FromHours(25));
        await Say(chatId, "is anybody there?");

        var calls = Calls(chatId).Skip(3).ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal("enable", calls[0]);
        Assert.StartsWith("reply: Hi! I'm the virtual assistant", calls[1], StringComparison.Ordinal);
        var view = await ViewAsync(chatId);
        Assert.Equal("bot", view["mode"]!.GetValue<string>());
        Assert.Contains(History(view), h => h is ("bot", "automatic hand-back", _) && h.Outcome.Contains("1.01:00:00", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_agent_mode_chat_with_a_recent_operator_action_stays_with_the_agent()
    {
        await StartAsync(new Dictionary<string, string?> { ["Routing:AgentIdleTimeout"] = "24:00:00" });
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hello");
        time.Advance(TimeSpan.FromHours(20));
        await Operator((f, r) => f.TakeOver(r, chatId, CancellationToken.None), chatId);
        var before = Calls(chatId).Count;

        time.Advance(TimeSpan.FromHours(20));
        await Say(chatId, "is anybody there?");

        Assert.Equal(before, Calls(chatId).Count);
        Assert.Equal("agent", (await ViewAsync(chatId))["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_hand_over_outside_hours_sends_the_hours_notice_before_the_disable_mutation()
    {
        time = new FakeTimeProvider(SaturdayNight);
        await StartAsync(GeneralHours);
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hello");

        await Say(chatId, "I want a human");

        var calls = Calls(chatId).Skip(1).ToList();
        Assert.Equal(
            ["reply: I'm connecting you with one of our colleagues. They will reply here shortly.", "reply: Our team is back on Tuesday 1 December 09:00.", "disable"],
            calls);
        var view = await ViewAsync(chatId);
        Assert.Equal("agent", view["mode"]!.GetValue<string>());
        Assert.Contains(History(view), h => h is ("bot", "outside opening hours", _) && h.Outcome.Contains("team general", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_keep_bot_a_hand_over_outside_hours_makes_no_mutation_and_the_bot_keeps_the_chat()
    {
        time = new FakeTimeProvider(SaturdayNight);
        await StartAsync(new Dictionary<string, string?>(GeneralHours)
        {
            ["Routing:OutOfHours"] = "keep-bot",
            ["Routing:LeaveMessageNotice"] = "Closed until {next}: leave us a message.",
        });
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "hello");

        await Operator((f, r) => f.HandOver(r, chatId, CancellationToken.None), chatId, """{"context":{"team":"general"}}""");
        await Say(chatId, "human please");

        Assert.Empty(app.Router.To("/mutationrequests"));
        Assert.Equal(["reply: Closed until Tuesday 1 December 09:00: leave us a message.", "reply: Closed until Tuesday 1 December 09:00: leave us a message."], Calls(chatId).Skip(1));
        var view = await ViewAsync(chatId);
        Assert.Equal("bot", view["mode"]!.GetValue<string>());
        Assert.Equal(2, History(view).Count(h => h.Action == "hand-over declined"));
    }

    [Fact]
    public async Task Inside_hours_a_hand_over_goes_ahead_without_a_notice()
    {
        time = new FakeTimeProvider(SaturdayNight.AddDays(-1).AddHours(7)); // Friday 11:00 in Amsterdam
        await StartAsync(GeneralHours);
        var chatId = AppHarness.NewChatId();

        await Say(chatId, "agent");

        Assert.Equal(["reply: I'm connecting you with one of our colleagues. They will reply here shortly.", "disable"], Calls(chatId));
    }

    [Fact]
    public async Task The_hours_route_shows_each_team_and_whether_it_is_open_now()
    {
        time = new FakeTimeProvider(SaturdayNight);
        await StartAsync(new Dictionary<string, string?>(GeneralHours)
        {
            ["Routing:Hours:default:TimeZone"] = "Etc/UTC",
            ["Routing:Hours:default:Weekly"] = "Mon-Sun 00:00-24:00",
        });

        var answer = await app.ExecuteAsync(r => Task.FromResult(app.Function<Operations>().Hours(r)));

        Assert.Equal(200, answer.Status);
        var teams = answer.Json!["teams"]!.AsArray();
        Assert.Equal(["default", "general"], teams.Select(t => t!["team"]!.GetValue<string>()));
        Assert.True(teams[0]!["openNow"]!.GetValue<bool>());
        Assert.False(teams[1]!["openNow"]!.GetValue<bool>());
        Assert.Equal("2026-12-01T09:00:00+01:00", teams[1]!["nextOpening"]!.GetValue<string>());
        Assert.Equal(["2026-11-30"], teams[1]!["closed"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal("handover", answer.Json["outOfHours"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Bot:SessionTimeout", "00:00:00", "Bot__SessionTimeout")]
    [InlineData("Routing:AgentIdleTimeout", "soon", "Routing__AgentIdleTimeout")]
    [InlineData("Routing:Hours:billing:Weekly", "Mon-Fri 9-17", "Routing__Hours__billing__Weekly")]
    [InlineData("Routing:OutOfHours", "never", "Routing__OutOfHours")]
    public async Task A_bad_setting_stops_start_up_with_a_line_naming_it(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?>(GeneralHours) { ["Routing:Hours:billing:TimeZone"] = "Europe/Amsterdam", ["Routing:Hours:billing:Weekly"] = "Mon 09:00-10:00", [key] = value };

        var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => StartAsync(settings));

        var line = Assert.Single(e.Failures);
        Assert.Contains(named, line, StringComparison.Ordinal);
    }
}
