using System.Text.Json;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Contracts;
using BotRouter.Core.Flows;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;
using BotRouter.UnitTests.Kit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BotRouter.UnitTests;

/// <summary>Session expiry, stale hand-overs and opening hours through the processor, on the in-memory store and a fake clock.</summary>
public sealed class ConversationLifeProcessorTests : IDisposable
{
    private static readonly ChatId Chat = ChatId.Parse(ChatTurnsTests.ChatId);

    // A Thursday, 10:00 UTC.
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
    private readonly ProcessingOptions options = new();
    private readonly RecordingRouter router = new();
    private readonly MetricRecorder metrics = new();
    private InMemoryChatStore store = null!;
    private ChatProcessor processor = null!;
    private int arrivals;

    public ConversationLifeProcessorTests() => Use(ConversationRules.Default);

    public void Dispose() => metrics.Dispose();

    private void Use(ConversationRules rules)
    {
        store = new InMemoryChatStore(time, options.LeaseDuration);
        var turns = new ChatTurns(new FlowsBot(new FlowBot(FlowSetValidator.LoadDefault())), Kit.TestRouter.Requests(), new GuidIdSource(), rules);
        processor = new ChatProcessor(store, new RecordingSignals(), router, turns, new ChatGate(), new RouteBreaker(Options.Create(options), time), Options.Create(options), time, NullLogger<ChatProcessor>.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task SayAsync(string text)
    {
        await store.AppendAsync(Chat, new InboxItem($"{++arrivals:D6}", InboxKind.Customer, ChatTurnsTests.Customer(text).Payload, time.GetUtcNow()), null, Ct);
        await processor.ProcessAsync(Chat, false, null, Ct);
    }

    private async Task CommandAsync(OperatorCommand command)
    {
        await store.AppendAsync(Chat, new InboxItem($"{++arrivals:D6}", InboxKind.Operator, JsonSerializer.Serialize(command, CoreJson.Default.OperatorCommand), time.GetUtcNow()), null, Ct);
        await processor.ProcessAsync(Chat, false, null, Ct);
    }

    /// <summary>What went to the router, in order: "reply: text", "enable", "disable", ...</summary>
    private List<string> Sent() =>
        [.. router.Sent.Select(s => s.Call.Kind switch
        {
            RouterCallKind.Reply => "reply: " + JsonSerializer.Deserialize(s.Call.Body!, CoreJson.Default.BmSendRequest)!.Messages.Msg.Single().Body.Content,
            RouterCallKind.Mutation => s.Call.Body!.Contains("enableComponent", StringComparison.Ordinal) ? "enable" : "disable",
            _ => s.Call.Kind.ToString().ToLowerInvariant(),
        })];

    private async Task<ChatState> StateAsync() => (await store.GetAsync(Chat, Ct))!;

    [Fact]
    public async Task A_customer_who_comes_back_after_the_session_timeout_is_greeted_again_and_it_is_counted()
    {
        await SayAsync("hello");
        await SayAsync("1");

        time.Advance(TimeSpan.FromMinutes(31));
        await SayAsync("AB-12345");

        var sent = Sent();
        Assert.Equal(3, sent.Count);
        Assert.StartsWith("reply: Hi! I'm the virtual assistant", sent[2], StringComparison.Ordinal);
        Assert.Equal(("main", "welcome"), ((await StateAsync()).FlowId, (await StateAsync()).StepId));
        Assert.Contains((await StateAsync()).History, h => h.Action == "session expired");
        Assert.Equal(1, metrics.Sum("botrouter.sessions.expired"));
    }

    [Fact]
    public async Task A_customer_who_comes_back_inside_the_session_timeout_goes_on_and_nothing_is_counted()
    {
        await SayAsync("hello");
        await SayAsync("1");

        time.Advance(TimeSpan.FromMinutes(29));
        await SayAsync("AB-12345");

        Assert.Contains("AB-12345", Sent()[2], StringComparison.Ordinal);
        Assert.Equal(0, metrics.Sum("botrouter.sessions.expired"));
    }

    [Fact]
    public async Task A_stale_agent_mode_chat_is_handed_back_before_the_bot_answers_and_it_is_counted()
    {
        Use(ConversationRules.Default with { AgentIdleTimeout = TimeSpan.FromHours(24) });
        await SayAsync("hello");
        await SayAsync("agent");

        time.Advance(TimeSpan.FromHours(25));
        await SayAsync("hello again");

        var sent = Sent();
        Assert.Equal("disable", sent[2]); // greeting, hand-over notice, disable
        Assert.Equal(5, sent.Count);
        Assert.Equal("enable", sent[3]);
        Assert.StartsWith("reply: Hi! I'm the virtual assistant", sent[4], StringComparison.Ordinal);
        Assert.Equal(RoutingMode.Bot, (await StateAsync()).Mode);
        Assert.Equal(1, metrics.Sum("botrouter.handbacks.automatic"));
    }

    [Fact]
    public async Task An_agent_mode_chat_inside_the_idle_timeout_stays_with_the_agent_and_nothing_is_counted()
    {
        Use(ConversationRules.Default with { AgentIdleTimeout = TimeSpan.FromHours(24) });
        await SayAsync("hello");
        await SayAsync("agent");
        var before = router.Sent.Count;

        time.Advance(TimeSpan.FromHours(23));
        await SayAsync("hello again");

        Assert.Equal(before, router.Sent.Count);
        Assert.Equal(RoutingMode.Agent, (await StateAsync()).Mode);
        Assert.Equal(0, metrics.Sum("botrouter.handbacks.automatic"));
    }

    [Fact]
    public async Task A_hand_over_outside_hours_is_sent_notice_first_and_counted_by_team_and_outcome()
    {
        var options = new RoutingOptions();
        options.Hours["general"] = new TeamHoursOptions { TimeZone = "Europe/Amsterdam", Weekly = "Sat-Sun 10:00-16:00" };
        Use(ConversationRules.Default with { Hours = Core.Hours.TeamHours.Parse(options.Hours, []), OutOfHoursNotice = "Back {next}." });
        await SayAsync("hello");

        await SayAsync("agent");

        Assert.Equal(["reply: Back Saturday 28 November 10:00.", "disable"], Sent()[^2..]);
        Assert.Equal(1, metrics.Sum("botrouter.handovers.outside_hours", "outcome", "handover"));
        Assert.Equal(1, metrics.Sum("botrouter.handovers.outside_hours", "team", "general"));
    }
}
