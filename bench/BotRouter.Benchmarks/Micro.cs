using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;
using BotRouter.Core.Flows;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;

namespace BotRouter.Benchmarks;

/// <summary>The pure parts of handling one customer message, with allocations (BenchmarkDotNet, in process, short job).</summary>
[MemoryDiagnoser]
public class PureParts
{
    private readonly ChatTurns turns;
    private readonly FlowBot bot;
    private readonly byte[] webhook;
    private readonly InboxItem item;
    private readonly ChatState fresh;
    private readonly ChatState answering;
    private readonly IReadOnlyList<string> suggestions = ["Track my order", "Billing question", "Talk to a person"];

    public PureParts()
    {
        bot = new FlowBot(FlowSetValidator.LoadDefault());
        turns = new ChatTurns(new FlowsBot(bot), new RouterRequests(new RouterComponents("CmBot", "CustomerContact"), "component"), new GuidIdSource(), ConversationRules.Default);
        var chatId = Guid.NewGuid().ToString();
        webhook = Encoding.UTF8.GetBytes(Scenario.WebhookBody(chatId, Guid.NewGuid().ToString(), "+31600000001", "hi", Guid.NewGuid().ToString()));
        var now = DateTimeOffset.UtcNow;
        item = new InboxItem($"{now.UtcTicks:D19}-x", InboxKind.Customer, Encoding.UTF8.GetString(webhook), now);
        fresh = ChatState.New(chatId, now);
        answering = turns.ApplyAsync(fresh, item, now, CancellationToken.None).GetAwaiter().GetResult().State;
    }

    [Benchmark(Description = "webhook JSON parse (MoMessage)")]
    public MoMessage? ParseWebhook() => JsonSerializer.Deserialize(webhook, CoreJson.Default.MoMessage);

    [Benchmark(Description = "FlowBot.Respond (new chat, \"hi\")")]
    public BotTurn Respond() => bot.Respond(null, null, fresh.Variables, "hi");

    [Benchmark(Description = "ChatTurns.ApplyAsync (new chat, \"hi\")")]
    public Task<TurnResult> ApplyNew() => turns.ApplyAsync(fresh, item, DateTimeOffset.UtcNow, CancellationToken.None);

    [Benchmark(Description = "ChatTurns.ApplyAsync (chat with history)")]
    public Task<TurnResult> ApplyFollowUp() => turns.ApplyAsync(answering, item, DateTimeOffset.UtcNow, CancellationToken.None);

    [Benchmark(Description = "RouterRequests.Reply (BM body)")]
    public RouterCall Reply() => RouterRequests.Reply(answering, "call-1", new BotReply("Hi! I'm the virtual assistant. What can I help you with?", [.. suggestions.Select(s => new BotSuggestion(s))]));

    public static void Run(string resultsDirectory)
    {
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)
            .WithArtifactsPath(Path.Combine(resultsDirectory, "micro"))
            .WithOptions(ConfigOptions.DisableLogFile);
        BenchmarkRunner.Run<PureParts>(config);
    }
}
