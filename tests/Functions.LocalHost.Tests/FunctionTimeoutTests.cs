namespace Functions.LocalHost.Tests;

public sealed class FunctionTimeoutTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_timed_out_queue_invocation_is_cancelled_in_the_worker_and_counts_as_a_failed_dequeue()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct, hostJson: json => json["functionTimeout"] = "00:00:02");
        Assert.Equal(TimeSpan.FromSeconds(2), harness.Host.FunctionTimeout);
        var attempts = new List<InvocationCompletedEventArgs>();
        harness.Host.InvocationCompleted += (_, e) =>
        {
            lock (attempts)
            {
                attempts.Add(e);
            }
        };

        // Far longer than the timeout; the function waits on its cancellation token.
        await harness.SendAsync(harness.WorkQueue, "slow:60000|timeout", ct);

        var poison = new List<string>();
        await Eventually.GetAsync(
            async () => { poison.AddRange(await harness.DrainAsync(harness.WorkQueue + "-poison", ct)); return poison.Count; },
            n => n >= 1,
            TimeSpan.FromSeconds(60),
            "the timed-out message to be poisoned");

        // Each attempt failed with the host's timeout message, the dequeue count went up to
        // maxDequeueCount (3 in the test worker's host.json), and nothing was processed.
        Assert.Equal("slow:60000|timeout", Assert.Single(poison));
        lock (attempts)
        {
            Assert.Equal([1L, 2L, 3L], attempts.Select(a => a.DequeueCount ?? -1));
            Assert.All(attempts, a =>
            {
                Assert.False(a.Succeeded);
                Assert.StartsWith("Timeout value of 00:00:02 exceeded by function 'Record'", a.Error, StringComparison.Ordinal);
            });
        }

        Assert.Empty(await harness.DrainAsync(harness.ProcessedQueue, ct));
        Assert.Equal(0, await harness.CountAsync(harness.WorkQueue, ct));

        // The worker got InvocationCancel: the function's token fired (it logs that), so it ended
        // within the grace period and the worker was not restarted.
        await Eventually.TrueAsync(
            () => harness.Logs.Lines.Any(l => l.Contains("Cancelled by the host", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30),
            "the worker to report the cancellation");
        Assert.Equal(1, harness.Host.WorkerStarts);
        Assert.DoesNotContain(harness.Logs.Lines, l => l.Contains("Restarting worker process", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_timed_out_function_that_ignores_cancellation_gets_its_worker_restarted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct, hostJson: json =>
        {
            json["functionTimeout"] = "00:00:02";

            // Keep the retry away from the worker being restarted.
            json["extensions"]!["queues"]!["visibilityTimeout"] = "00:00:30";
        });
        var firstPid = harness.Host.WorkerProcessId ?? throw new InvalidOperationException("No worker.");

        await harness.SendAsync(harness.WorkQueue, "stubborn:60000|ignores", ct);

        // As the real host: "A function timeout has occurred. Restarting worker process ...".
        var newPid = await harness.Host.WaitForWorkerAsync(firstPid, ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.NotEqual(firstPid, newPid);
        Assert.Contains(harness.Logs.Lines, l => l.Contains($"Restarting worker process {firstPid} executing invocationId", StringComparison.Ordinal));
        Assert.Equal(2, harness.Host.WorkerStarts);

        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };
        using var ping = await client.GetAsync(new Uri("api/Ping", UriKind.Relative), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, ping.StatusCode);
    }

    [Fact]
    public async Task A_timed_out_http_invocation_answers_500_and_the_host_keeps_serving()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct, hostJson: json => json["functionTimeout"] = "00:00:02", enableQueueTriggers: false);
        var outcomes = new List<InvocationCompletedEventArgs>();
        harness.Host.InvocationCompleted += (_, e) =>
        {
            lock (outcomes)
            {
                outcomes.Add(e);
            }
        };
        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };

        using var response = await client.GetAsync(new Uri("api/sleep/60000", UriKind.Relative), ct);

        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, response.StatusCode);
        lock (outcomes)
        {
            var outcome = Assert.Single(outcomes);
            Assert.Equal("Sleep", outcome.FunctionName);
            Assert.False(outcome.Succeeded);
            Assert.StartsWith("Timeout value of 00:00:02 exceeded by function 'Sleep'", outcome.Error, StringComparison.Ordinal);
        }

        // Within the timeout the same function answers normally.
        using var quick = await client.GetAsync(new Uri("api/sleep/10", UriKind.Relative), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, quick.StatusCode);
        Assert.Equal("slept", await quick.Content.ReadAsStringAsync(ct));
    }
}
