using System.Diagnostics;
using System.Text.Json;
using BotRouter.DevHost;
using BotRouter.IntegrationTests.Infrastructure;

namespace BotRouter.IntegrationTests;

/// <summary>
/// The run command's Azurite is a service of its own: a normal stop stops the Azurite the run started, never one the
/// user started, and a record naming a process that is not that Azurite (a reused pid) is not trusted.
/// </summary>
[Collection(DevHostCrashGroup.Name)]
public sealed class DevHostAzuriteServiceTests : IAsyncLifetime
{
    private DevHostRig rig = null!;

    public async ValueTask InitializeAsync() => rig = await DevHostRig.StartAsync();

    public ValueTask DisposeAsync() => rig.DisposeAsync();

    [Fact]
    public async Task A_normal_stop_stops_the_Azurite_the_run_started_in_its_own_session()
    {
        var run = await rig.RunAsync();
        var record = AzuriteService.ReadRecord(rig.AzuriteLocation);
        Assert.NotNull(record);
        Assert.Equal(rig.AzuritePorts, record.Ports);
        Assert.True(AzuriteService.IsRunning(record));
        Assert.NotEqual(Session(run.Pid), Session(record.Pid));
        Assert.Contains("--disableTelemetry", File.ReadAllText($"/proc/{record.Pid}/cmdline"), StringComparison.Ordinal);

        Assert.Equal(0, await run.TerminateAsync(TimeSpan.FromSeconds(60)));

        Assert.False(AzuriteService.IsRunning(record), run.Output);
        Assert.False(Azurite.IsListening(record.TablePort));
        Assert.Null(AzuriteService.ReadRecord(rig.AzuriteLocation));
    }

    [Fact]
    public async Task A_second_run_on_the_same_data_uses_the_first_runs_Azurite_and_leaves_it_to_the_first()
    {
        var first = await rig.RunAsync();
        var record = AzuriteService.ReadRecord(rig.AzuriteLocation);
        Assert.NotNull(record);

        var secondUrl = $"http://127.0.0.1:{FreePorts.Next()}";
        var environment = rig.Environment();
        environment["DevHost__Urls"] = secondUrl;
        var second = await rig.RunAsync(environment);
        Assert.Contains($"using the one run {first.Pid} started and still runs", second.Output, StringComparison.Ordinal);
        Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(60)));

        Assert.True(AzuriteService.IsRunning(record), $"the second run stopped the first run's Azurite:\n{second.Output}");
        using (var health = await rig.Http.GetAsync($"{rig.AppUrl}/api/health", TestContext.Current.CancellationToken))
        {
            Assert.Equal(200, (int)health.StatusCode);
        }

        Assert.Equal(0, await first.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.False(AzuriteService.IsRunning(record), first.Output);
    }

    [Fact]
    public async Task A_normal_stop_leaves_an_Azurite_the_user_started_running()
    {
        await using var users = new Azurite();
        rig.AzuritePorts = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        await users.EnsureRunningAsync(RepositoryRoot.Find(), rig.AzuritePorts, location: null, TextWriter.Null, CancellationToken.None);

        var run = await rig.RunAsync();
        Assert.Null(AzuriteService.ReadRecord(rig.AzuriteLocation));
        Assert.Equal(0, await run.TerminateAsync(TimeSpan.FromSeconds(60)));

        Assert.True(Azurite.IsListening(rig.AzuritePorts.Blob) && Azurite.IsListening(rig.AzuritePorts.Queue) && Azurite.IsListening(rig.AzuritePorts.Table), run.Output);
        Assert.Contains("not started by the dev host", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_whose_pid_now_belongs_to_another_program_is_not_trusted_and_that_program_is_not_stopped()
    {
        // A pid reused by another program: alive, even the recorded start time matches, but it is not Azurite.
        using var other = Process.Start(new ProcessStartInfo("sleep", "120"))!;
        try
        {
            Directory.CreateDirectory(rig.AzuriteLocation);
            var stale = new AzuriteRecord(other.Id, other.StartTime.ToUniversalTime(), rig.AzuritePorts.Blob, rig.AzuritePorts.Queue, rig.AzuritePorts.Table, rig.AzuriteLocation);
            File.WriteAllText(Path.Combine(rig.AzuriteLocation, AzuriteService.RecordFileName), JsonSerializer.Serialize(stale));
            Assert.False(AzuriteService.IsRunning(stale));

            var service = new AzuriteService(rig.AzuriteLocation);
            var log = new StringWriter();
            await service.EnsureRunningAsync(RepositoryRoot.Find(), rig.AzuritePorts, log, TestContext.Current.CancellationToken);
            var started = service.Owned;
            Assert.NotNull(started);
            Assert.NotEqual(other.Id, started.Pid);
            Assert.True(Azurite.IsListening(rig.AzuritePorts.Table), log.ToString());
            Assert.Equal(started.Pid, AzuriteService.ReadRecord(rig.AzuriteLocation)!.Pid);

            await service.StopAsync(log);
            Assert.False(AzuriteService.IsRunning(started));
            Assert.False(other.HasExited, "the program that reused the recorded pid was stopped");
        }
        finally
        {
            other.Kill();
        }
    }

    private static string Session(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3];
    }
}
