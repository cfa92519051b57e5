using BotRouter.Soak;

namespace BotRouter.IntegrationTests;

/// <summary>
/// Issue 17, item 5, the CI version of the soak (<c>bench/SOAK.md</c>), through the same code: 300 messages over 30
/// chats, 30 % of router calls failing (500, 503, 429 with Retry-After, timeouts beyond the attempt timeout), 10 %
/// duplicate deliveries, take-overs and hand-backs, a short storage outage and a kill -9 of the Functions worker.
/// Nothing acknowledged is lost, nothing is answered twice, the bot says nothing while an agent owns a chat.
/// </summary>
[Collection(DevHostCrashGroup.Name)]
public sealed class SoakTests(ITestOutputHelper log)
{
    [Fact]
    public async Task A_small_soak_with_router_failures_duplicates_takeovers_an_outage_and_a_worker_kill_loses_nothing_and_answers_nothing_twice()
    {
        var result = await SoakRun.RunAsync(new SoakOptions
        {
            Messages = 300,
            Chats = 30,
            Seed = 17,
            FailureRate = 0.30,
            DuplicateRate = 0.10,
            TakeOverShare = 0.30,
            Outage = TimeSpan.FromSeconds(3),
            KillWorker = true,
            Quiet = TimeSpan.FromSeconds(6),
            Stall = TimeSpan.FromSeconds(20),
            Cap = TimeSpan.FromSeconds(150),
            Say = log.WriteLine,
        });

        var table = result.Table();
        log.WriteLine(table);
        var what = $"{table}\n{string.Join('\n', result.Problems)}";
        Assert.True(result.Acknowledged == result.Sent, what);
        Assert.True(result.DuplicatesPosted > 0 && result.OperatorCommands > 0 && result.Injected.Values.Sum() > 0, $"the scenario did not inject what it should:\n{what}");
        Assert.True(result.Lost == 0, what);
        Assert.True(result.DuplicatedByReference == 0 && result.DuplicatedBySequence == 0, what);
        Assert.True(result.RepliesInAgentMode == 0, what);
        Assert.True(result.ChatsDiffering == 0 && result.Unexpected == 0, what);
        Assert.True(result.Answered == result.Sent - result.SentInAgentMode, what);
        Assert.StartsWith("pid", result.WorkerKill, StringComparison.Ordinal);
        Assert.Contains("restarted", result.WorkerKill, StringComparison.Ordinal);
    }
}
