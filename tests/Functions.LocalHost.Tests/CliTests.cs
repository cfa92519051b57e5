using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Functions.LocalHost.Tests;

public sealed partial class CliTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"Launched worker (\d+)")]
    private static partial Regex LaunchedWorker();

    [GeneratedRegex(@"Ping: \[GET\] /api/Ping  \((http://[^)]+)\)")]
    private static partial Regex PingRoute();

    [Fact]
    public async Task Sigterm_stops_the_cli_host_and_its_worker_cleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        var hostDll = Path.Combine(AppContext.BaseDirectory, "Functions.LocalHost.dll");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { hostDll, "--app", AzuriteFixture.TestWorkerDirectory, "--port", "0" })
        {
            info.ArgumentList.Add(arg);
        }

        var prefix = "c" + Guid.NewGuid().ToString("N")[..12];
        info.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
        foreach (var (name, suffix) in new[] { ("WorkQueue", "work"), ("FailingQueue", "failing"), ("ProcessedQueue", "processed"), ("SdkQueue", "sdk"), ("MetadataQueue", "metadata"), ("OutboxQueue", "work") })
        {
            info.Environment[name] = $"{prefix}-{suffix}";
        }

        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(() => output.Any(l => l.Contains("Host started", StringComparison.Ordinal)), Timeout, "the CLI host to start");
            var workerPid = int.Parse(output.Select(l => LaunchedWorker().Match(l)).First(m => m.Success).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var baseAddress = output.Select(l => PingRoute().Match(l)).First(m => m.Success).Groups[1].Value;

            using (var client = new HttpClient { BaseAddress = new Uri(baseAddress) })
            {
                using var ping = await client.GetAsync(new Uri("api/Ping", UriKind.Relative), ct);
                Assert.Equal(System.Net.HttpStatusCode.OK, ping.StatusCode);
            }

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(ct);
            }

            await process.WaitForExitAsync(ct).WaitAsync(Timeout, ct);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains(output, l => l.Contains("Host stopped", StringComparison.Ordinal));
            Assert.False(IsRunning(workerPid), $"worker {workerPid} outlived the host");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            foreach (var line in output)
            {
                TestContext.Current.TestOutputHelper?.WriteLine(line);
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
