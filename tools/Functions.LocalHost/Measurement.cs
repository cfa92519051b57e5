using System.Diagnostics;
using System.Globalization;

namespace Functions.LocalHost;

/// <summary>
/// `--measure N`: prints the worker start-up time and the per-call cost of an HTTP function through
/// the host versus a plain handler on the same Kestrel server (the loopback HTTP baseline).
/// </summary>
internal static class Measurement
{
    public static async Task RunAsync(LocalFunctionsHost host, int count, CancellationToken cancellationToken)
    {
        var baseAddress = host.HttpBaseAddress ?? throw new InvalidOperationException("Not started.");
        // A function with no route parameters answering GET: "Ping" in the test worker.
        var candidates = host.Functions.Where(f => string.Equals(f.Trigger?.Type, "httpTrigger", StringComparison.OrdinalIgnoreCase)
            && f.Trigger!.GetString("route") is null
            && f.Trigger.GetStrings("methods") is var m && (m.Count == 0 || m.Contains("get", StringComparer.OrdinalIgnoreCase))).ToList();
        var function = candidates.FirstOrDefault(f => f.Name == "Ping") ?? candidates.FirstOrDefault();
        using var client = new HttpClient { BaseAddress = baseAddress };
        var output = Console.Out;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"worker start-up (launch to all {host.Functions.Count} functions loaded): {host.WorkerStartupTime.TotalMilliseconds:F0} ms"));

        var plain = await TimeAsync(client, "admin/host/status", count, cancellationToken);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"plain handler  GET /admin/host/status x{count}: mean {plain.Mean:F3} ms, p50 {plain.P50:F3} ms, p95 {plain.P95:F3} ms"));
        if (function is null)
        {
            await output.WriteLineAsync("no parameterless GET http function to measure");
            return;
        }

        var path = string.IsNullOrEmpty(host.RoutePrefix) ? function.Name : $"{host.RoutePrefix}/{function.Name}";
        var viaHost = await TimeAsync(client, path, count, cancellationToken);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"via host       GET /{path} x{count}: mean {viaHost.Mean:F3} ms, p50 {viaHost.P50:F3} ms, p95 {viaHost.P95:F3} ms"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"host overhead per HTTP invocation (p50 difference, includes the worker's own pipeline): {viaHost.P50 - plain.P50:F3} ms"));
    }

    private static async Task<(double Mean, double P50, double P95)> TimeAsync(HttpClient client, string path, int count, CancellationToken cancellationToken)
    {
        // Warm up connections, JIT and the worker's pipeline first.
        for (var i = 0; i < Math.Min(50, count); i++)
        {
            using var warm = await client.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
            warm.EnsureSuccessStatusCode();
        }

        var samples = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
            _ = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            response.EnsureSuccessStatusCode();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(samples);
        return (samples.Average(), samples[count / 2], samples[Math.Min(count - 1, (int)(count * 0.95))]);
    }
}
