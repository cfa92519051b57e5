using System.Diagnostics;

namespace BotRouter.Benchmarks;

/// <summary>Latencies (ms) and wall time of one bounded closed-loop run.</summary>
public sealed record RunStats(int Count, int Failures, double ElapsedMs, double[] LatenciesMs)
{
    public double Throughput => Count / (ElapsedMs / 1000.0);

    public double P50 => Percentile(0.50);

    public double P99 => Percentile(0.99);

    public double Percentile(double q)
    {
        if (LatenciesMs.Length == 0)
        {
            return double.NaN;
        }

        var sorted = LatenciesMs.Order().ToArray();
        var rank = (int)Math.Ceiling(q * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

/// <summary>Runs <c>total</c> operations with <c>concurrency</c> workers, each taking the next index until done.</summary>
public static class Load
{
    public static async Task<RunStats> RunAsync(int concurrency, int total, Func<int, Task<bool>> operation)
    {
        var latencies = new double[total];
        var next = -1;
        var failures = 0;
        var start = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var t0 = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await operation(i);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException or global::Azure.RequestFailedException)
                {
                    ok = false;
                }

                latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (!ok)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        return new RunStats(total, failures, Stopwatch.GetElapsedTime(start).TotalMilliseconds, latencies);
    }
}
