using System.Diagnostics;

namespace Functions.LocalHost.Tests;

public sealed class StartupFailureTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("localhost-broken-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task A_worker_that_exits_during_start_up_fails_StartAsync_promptly()
    {
        var ct = TestContext.Current.CancellationToken;
        File.WriteAllText(Path.Combine(dir, "worker.config.json"), """{ "description": { "defaultExecutablePath": "dotnet", "defaultWorkerPath": "Missing.dll" } }""");
        await using var host = new LocalFunctionsHost(new LocalFunctionsHostOptions
        {
            AppDirectory = dir,
            HttpPort = 0,
            LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });

        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<WorkerUnavailableException>(() => host.StartAsync(ct));

        Assert.Contains("exited during start-up", ex.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task An_out_of_range_host_json_queue_setting_fails_StartAsync_before_a_worker_is_launched()
    {
        var ct = TestContext.Current.CancellationToken;
        var app = HostHarness.CopyApp("t" + Guid.NewGuid().ToString("N")[..12], json => json["extensions"]!["queues"]!["batchSize"] = 64);
        try
        {
            await using var host = new LocalFunctionsHost(new LocalFunctionsHostOptions
            {
                AppDirectory = app,
                HttpPort = 0,
                LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
            });

            var ex = await Assert.ThrowsAsync<InvalidDataException>(() => host.StartAsync(ct));

            Assert.Contains("extensions.queues.batchSize = 64 is out of range", ex.Message, StringComparison.Ordinal);
            Assert.Null(host.WorkerProcessId);
            Assert.Equal(0, host.WorkerStarts);
        }
        finally
        {
            HostHarness.DeleteCopy(app);
        }
    }
}
