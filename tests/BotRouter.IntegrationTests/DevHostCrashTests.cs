using BotRouter.DevHost;
using BotRouter.IntegrationTests.Infrastructure;

namespace BotRouter.IntegrationTests;

/// <summary>
/// "Nothing lost when the app crashes", through the run command as a user runs it: every message the webhook
/// acknowledged with 200 is answered, once, in order, even when the run command's whole process group or its
/// Functions worker is killed with SIGKILL right after. Only external behaviour is asserted (acknowledged ⇒ answered
/// once), so it holds whatever the processing pipeline looks like inside.
/// </summary>
[Collection(DevHostCrashGroup.Name)]
public sealed class DevHostCrashTests(ITestOutputHelper log) : IAsyncLifetime
{
    private const int Chats = 4;
    private const int MessagesPerChat = 3;
    private DevHostRig rig = null!;

    public async ValueTask InitializeAsync() => rig = await DevHostRig.StartAsync();

    public ValueTask DisposeAsync() => rig.DisposeAsync();

    [Fact]
    public async Task Killing_the_run_commands_whole_process_group_loses_no_acknowledged_message_and_decides_none_twice()
    {
        var first = await rig.RunAsync();
        var azurite = AzuriteService.ReadRecord(rig.AzuriteLocation);
        Assert.NotNull(azurite);
        Assert.True(AzuriteService.IsRunning(azurite), $"the run command should have started Azurite as a service:\n{first.Output}");

        var numbers = await PostBurstAsync();
        await first.KillProcessGroupAsync();
        var answeredBeforeKill = rig.Replies().Values.Sum(r => r.Count);
        log.WriteLine($"killed the run command's process group (pgid {first.Pid}) with {answeredBeforeKill} of {Chats * MessagesPerChat} messages answered");

        // Storage outlived the app: the same Azurite still runs, and the next run finds it through its record.
        Assert.True(AzuriteService.IsRunning(azurite), "kill -9 of the run command's process group took Azurite with it");
        Assert.Empty(first.WorkerPids());

        var second = await rig.RunAsync();
        Assert.Contains($"using the one a previous run started (pid {azurite.Pid}", second.Output, StringComparison.Ordinal);

        var restarted = DateTime.UtcNow;
        await rig.WaitForRepliesAsync(numbers, MessagesPerChat, TimeSpan.FromSeconds(180));
        log.WriteLine($"the second run answered within {(DateTime.UtcNow - restarted).TotalSeconds:F0} s (including 6 s of quiet)");
        log.WriteLine(rig.Describe(numbers));
        AssertEachAnsweredOnceInOrder(numbers);

        // A normal stop of the run that took the crashed run's Azurite over stops that Azurite.
        Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.False(AzuriteService.IsRunning(azurite), $"a normal stop should stop the Azurite it took over:\n{second.Output}");
        Assert.Null(AzuriteService.ReadRecord(rig.AzuriteLocation));
    }

    [Fact]
    public async Task Killing_the_functions_worker_loses_no_acknowledged_message_and_decides_none_twice()
    {
        var run = await rig.RunAsync();
        var worker = Assert.Single(run.WorkerPids());

        // Some sends fail first (CM accepts nothing), so work is certainly in flight when the worker dies.
        rig.Router.FailNext(503, 503, 503, 503, 503, 503);
        var numbers = await PostBurstAsync();
        Assert.True(DevHostProcess.Kill(worker));
        log.WriteLine($"killed worker {worker} with {rig.Replies().Values.Sum(r => r.Count)} of {Chats * MessagesPerChat} messages answered");

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (run.WorkerPids() is not [var restarted] || restarted == worker)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the local host did not restart the worker:\n{run.Output}");
            Assert.False(run.HasExited, $"the run command exited:\n{run.Output}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        var killed = DateTime.UtcNow;
        await rig.WaitForRepliesAsync(numbers, MessagesPerChat, TimeSpan.FromSeconds(180));
        log.WriteLine($"answered within {(DateTime.UtcNow - killed).TotalSeconds:F0} s of the restart (including 6 s of quiet)");
        log.WriteLine(rig.Describe(numbers));
        AssertEachAnsweredOnceInOrder(numbers);
        Assert.Equal(0, await run.TerminateAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>Posts <see cref="Chats"/> × <see cref="MessagesPerChat"/> customer messages as fast as they are acknowledged; each must get 200.</summary>
    private async Task<List<string>> PostBurstAsync()
    {
        var chats = Enumerable.Range(0, Chats).Select(i => (ChatId: Guid.NewGuid().ToString(), Number: $"+3162{Random.Shared.Next(1_000_000):D6}{i}")).ToList();
        for (var m = 0; m < MessagesPerChat; m++)
        {
            foreach (var (chatId, number) in chats)
            {
                var status = await rig.PostAsync(DevHostRig.Webhook(chatId, number, m == 0 ? "hi" : $"message {m}", reference: Guid.NewGuid().ToString()));
                Assert.True(status == 200, $"webhook answered {status}:\n{rig.Outputs()}");
            }
        }

        return chats.Select(c => c.Number).ToList();
    }

    /// <summary>Each message of this script gets exactly one reply decided (the flow bot answers every message once): the greeting first, then no greeting again.</summary>
    private void AssertEachAnsweredOnceInOrder(List<string> numbers)
    {
        // A crash may resend a reply CM had just accepted (the documented window), with the same reference;
        // it must never re-decide (a second reply with another reference) nor lose one.
        var replies = rig.DistinctReplies();
        var what = $"{rig.Describe(numbers)}\n{rig.Outputs()}";
        foreach (var number in numbers)
        {
            var texts = replies.GetValueOrDefault(number) ?? [];
            Assert.True(texts.Count == MessagesPerChat, $"{number} got {texts.Count} replies for {MessagesPerChat} acknowledged messages (lost or duplicated):\n{what}");
            Assert.True(texts[0].StartsWith(DevHostRig.Greeting, StringComparison.Ordinal), $"{number}'s first reply is not the greeting (out of order):\n{what}");
            Assert.True(!texts.Skip(1).Any(t => t.StartsWith(DevHostRig.Greeting, StringComparison.Ordinal)), $"{number} was greeted twice:\n{what}");
        }

        var references = rig.ReplyReferences();
        var resent = references.Count - references.Distinct().Count();
        Assert.True(resent <= numbers.Count, $"{resent} replies sent again: more than one send in flight per chat at the crash:\n{what}");
    }
}

/// <summary>The crash tests run one after another: each runs a whole app with its own Azurite on two shared cores.</summary>
[CollectionDefinition(Name)]
public sealed class DevHostCrashGroup
{
    public const string Name = "DevHost crashes";
}
