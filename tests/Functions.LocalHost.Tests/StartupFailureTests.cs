using System.Diagnostics;

namespace Functions.LocalHost.Tests;

public sealed class StartupFailureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("localhost-broken-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_worker_that_exits_during_start_up_fails_StartAsync_promptly()
    {
        var ct = TestContext.Current.CancellationToken;
        File.WriteAllText(Path.Combine(_dir, "worker.config.json"), """{ "description": { "defaultExecutablePath": "dotnet", "defaultWorkerPath": "Missing.dll" } }""");
        await using var host = new LocalFunctionsHost(new LocalFunctionsHostOptions
        {
            AppDirectory = _dir,
            HttpPort = 0,
            LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });

        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<WorkerUnavailableException>(() => host.StartAsync(ct));

        Assert.Contains("exited during start-up", ex.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }
}
