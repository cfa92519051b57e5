using BotRouter.Core.Routing;
using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;

namespace BotRouter.IntegrationTests;

/// <summary>
/// Many messages, duplicate deliveries and a router that fails a third of its calls: every message is answered
/// exactly once. Prints the figures the README's Reliability section quotes.
/// </summary>
public sealed class ReliabilityTests(AzuriteFixture azurite, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Chats = 25;
    private const int MessagesPerChat = 12;
    private AppHarness app = null!;

    public async ValueTask InitializeAsync() => app = await AppHarness.StartAsync(azurite);

    public ValueTask DisposeAsync() => app.DisposeAsync();

    [Fact]
    public async Task Every_message_is_answered_exactly_once_despite_router_faults_and_duplicate_deliveries()
    {
        app.Router.FailRandomly(1.0 / 3, seed: 20261126);
        var chats = Enumerable.Range(0, Chats).Select(_ => AppHarness.NewChatId()).ToList();
        var numbers = chats.Select((c, i) => (c, n: $"+3161{i:D7}")).ToDictionary(x => x.c, x => x.n);
        var duplicates = 0;
        var random = new Random(7);

        // Every message of this script gets exactly one reply: a greeting first, then the menu's fallback.
        for (var m = 0; m < MessagesPerChat; m++)
        {
            await Parallel.ForEachAsync(chats, async (chatId, _) =>
            {
                var body = app.Webhook(chatId, m == 0 ? "hi" : $"message {m}", reference: $"{chatId}-{m}", from: numbers[chatId]);
                var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), body);
                Assert.Equal(200, answer.Status);
                if (random.Next(10) == 0)
                {
                    Interlocked.Increment(ref duplicates);
                    var again = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), body);
                    Assert.Equal(200, again.Status);
                }
            });
        }

        // Queue-trigger semantics: a chat whose router calls failed is run again later; several may run at once.
        var attempts = 0;
        for (var round = 0; round < 40 && Answered().Values.Sum() < Chats * MessagesPerChat; round++)
        {
            await Parallel.ForEachAsync(chats, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (chatId, _) =>
            {
                Interlocked.Increment(ref attempts);
                await app.DrainAsync(chatId);
            });
            if (Answered().Values.Sum() < Chats * MessagesPerChat)
            {
                await Task.Delay(500, TestContext.Current.CancellationToken);
            }
        }

        var answered = Answered();
        var references = app.Router.To("/bmproxy/").Select(c => c.Json!["messages"]!["msg"]![0]!["reference"]!.GetValue<string>()).ToList();
        var lost = chats.Sum(c => Math.Max(0, MessagesPerChat - answered.GetValueOrDefault(numbers[c])));
        var duplicated = references.Count - references.Distinct().Count() + chats.Sum(c => Math.Max(0, answered.GetValueOrDefault(numbers[c]) - MessagesPerChat));
        output.WriteLine($"reliability: {Chats * MessagesPerChat} messages, {duplicates} duplicate deliveries, {app.Router.Injected.Values.Sum()} router faults injected ({app.Router.Calls.Count} router calls), {attempts} processor runs, lost {lost}, duplicated {duplicated}");

        Assert.Equal(0, lost);
        Assert.Equal(0, duplicated);
        Assert.True(app.Router.Injected.Values.Sum() > 0);
    }

    /// <summary>Accepted replies per customer number.</summary>
    private Dictionary<string, int> Answered() =>
        app.Router.To("/bmproxy/")
            .GroupBy(c => c.Json!["messages"]!["msg"]![0]!["to"]![0]!["number"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.Count());
}
