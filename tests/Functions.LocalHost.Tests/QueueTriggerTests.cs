using System.Text.Json;

namespace Functions.LocalHost.Tests;

public sealed class QueueTriggerTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static List<ProcessedRecord> Parse(IEnumerable<string> messages) =>
        messages.Select(m => JsonSerializer.Deserialize<ProcessedRecord>(m)!).ToList();

    /// <summary>Collects the test worker's output messages until at least <paramref name="count"/> arrived.</summary>
    private static async Task<List<string>> ProcessedAsync(HostHarness harness, int count, string what, CancellationToken ct)
    {
        var processed = new List<string>();
        await Eventually.GetAsync(
            async () => { processed.AddRange(await harness.DrainAsync(harness.ProcessedQueue, ct)); return processed.Count; },
            n => n >= count,
            Timeout,
            what);
        return processed;
    }

    [Fact]
    public async Task A_message_is_processed_once_with_its_metadata_and_deleted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        var text = "hello " + Guid.NewGuid();

        var receipt = await harness.SendAsync(harness.WorkQueue, text, ct);

        var processed = await ProcessedAsync(harness, 1, "the output message", ct);
        await Eventually.GetAsync(() => harness.CountAsync(harness.WorkQueue, ct), n => n == 0, Timeout, "the trigger message to be deleted");

        var record = Assert.Single(Parse(processed));
        Assert.Equal(text, record.Message);
        Assert.Equal(receipt.MessageId, record.Id);
        Assert.Equal(1, record.DequeueCount);
        Assert.True(record.HasPopReceipt);
        Assert.Equal(receipt.InsertionTime.ToUnixTimeSeconds(), record.InsertionTime.ToUnixTimeSeconds());

        // Deleted, not merely hidden: nothing comes back and nothing else was processed.
        await harness.Host.StopAsync(ct);
        Assert.Equal(0, await harness.CountAsync(harness.WorkQueue, ct));
        Assert.Empty(await harness.DrainAsync(harness.ProcessedQueue, ct));
    }

    [Fact]
    public async Task A_QueueMessage_parameter_gets_the_message_through_model_binding_data()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        var text = "sdk " + Guid.NewGuid();

        var receipt = await harness.SendAsync(harness.SdkQueue, text, ct);

        var processed = await ProcessedAsync(harness, 1, "the output message", ct);
        var record = Assert.Single(Parse(processed));
        Assert.Equal(text, record.Message);
        Assert.Equal(receipt.MessageId, record.Id);
        Assert.Equal(1, record.DequeueCount);
        Assert.True(record.HasPopReceipt);
        Assert.Equal(receipt.InsertionTime.ToUnixTimeSeconds(), record.InsertionTime.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task A_throwing_function_is_retried_then_its_message_moves_to_poison()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        var attempts = new List<long>();
        harness.Host.InvocationCompleted += (_, e) =>
        {
            if (e.FunctionName == "AlwaysFails")
            {
                Assert.False(e.Succeeded);
                lock (attempts)
                {
                    attempts.Add(e.DequeueCount ?? -1);
                }
            }
        };
        var text = "bad " + Guid.NewGuid();

        await harness.SendAsync(harness.FailingQueue, text, ct);

        var poison = new List<string>();
        await Eventually.GetAsync(
            async () => { poison.AddRange(await harness.DrainAsync(harness.FailingQueue + "-poison", ct)); return poison.Count; },
            n => n >= 1,
            Timeout,
            "the poison message");

        Assert.Equal(text, Assert.Single(poison));
        Assert.Equal(0, await harness.CountAsync(harness.FailingQueue, ct));
        var maxDequeueCount = harness.Host.QueueOptions!.MaxDequeueCount;
        Assert.Equal(3, maxDequeueCount); // from the test worker's host.json
        lock (attempts)
        {
            Assert.Equal(Enumerable.Range(1, maxDequeueCount).Select(i => (long)i), attempts);
        }
    }

    [Fact]
    public async Task Concurrency_is_bounded_by_batchSize_plus_newBatchThreshold()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        var options = harness.Host.QueueOptions!;
        Assert.Equal(4, options.BatchSize);
        Assert.Equal(2, options.NewBatchThreshold);
        const int count = 16;

        for (var i = 0; i < count; i++)
        {
            await harness.SendAsync(harness.WorkQueue, $"slow:400|{i}", ct);
        }

        var processed = await ProcessedAsync(harness, count, "all messages to be processed", ct);

        // Overlap as the worker saw it: the most invocations running at one instant.
        var records = Parse(processed);
        var events = records.SelectMany(r => new[] { (At: r.Started, Delta: 1), (At: r.Finished, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        int running = 0, peak = 0;
        foreach (var e in events)
        {
            running += e.Delta;
            peak = Math.Max(peak, running);
        }

        var bound = options.BatchSize + options.NewBatchThreshold;
        Assert.InRange(peak, options.BatchSize, bound);
        Assert.InRange(harness.Host.QueuePeakConcurrency[harness.WorkQueue], options.BatchSize, bound);
        Assert.Equal(count, records.Select(r => r.Message).Distinct().Count());
    }

    [Fact]
    public async Task A_killed_worker_is_restarted_and_its_unfinished_messages_are_processed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        var firstPid = harness.Host.WorkerProcessId ?? throw new InvalidOperationException("No worker.");
        const int count = 3;
        for (var i = 0; i < count; i++)
        {
            await harness.SendAsync(harness.WorkQueue, $"slow:3000|{i}", ct);
        }

        // Killed while the worker is running all of them (it logs each start).
        await Eventually.TrueAsync(
            () => harness.Logs.Lines.Count(l => l.Contains("Processing", StringComparison.Ordinal) && l.Contains("slow:3000|", StringComparison.Ordinal)) == count,
            Timeout,
            "the worker to start processing the messages");
        Assert.Equal(count, harness.Host.QueueInFlight[harness.WorkQueue]);
        harness.Host.KillWorker();

        var newPid = await harness.Host.WaitForWorkerAsync(firstPid, ct).WaitAsync(Timeout, ct);
        Assert.NotEqual(firstPid, newPid);

        var processed = await ProcessedAsync(harness, count, "the unfinished messages to be processed by the new worker", ct);

        var records = Parse(processed);
        Assert.All(records, r => Assert.Equal(newPid, r.ProcessId));
        Assert.All(records, r => Assert.Equal(2, r.DequeueCount));
        Assert.Equal(count, records.Select(r => r.Message).Distinct().Count());
        Assert.Equal(2, harness.Host.WorkerStarts);

        // The new worker serves HTTP too (it was re-handshaken, functions reloaded).
        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };
        using var ping = await client.GetAsync(new Uri("api/Ping", UriKind.Relative), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, ping.StatusCode);
    }

    [Fact]
    public async Task Stopping_lets_in_flight_invocations_finish()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        await harness.SendAsync(harness.WorkQueue, "slow:1500|shutdown", ct);
        await Eventually.TrueAsync(() => harness.Host.QueueInFlight[harness.WorkQueue] == 1, Timeout, "the message to be in flight");

        await harness.Host.StopAsync(ct);

        // Finished (output written, trigger message deleted) rather than cut off.
        var record = Assert.Single(Parse(await harness.DrainAsync(harness.ProcessedQueue, ct)));
        Assert.Equal("slow:1500|shutdown", record.Message);
        Assert.Equal(0, await harness.CountAsync(harness.WorkQueue, ct));
        Assert.Null(harness.Host.WorkerProcessId);
    }

    [Fact]
    public async Task Messages_still_running_after_the_shutdown_grace_period_become_visible_again()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct, shutdownTimeout: TimeSpan.FromMilliseconds(500));
        var receipt = await harness.SendAsync(harness.WorkQueue, "slow:20000|abandoned", ct);
        await Eventually.TrueAsync(() => harness.Host.QueueInFlight[harness.WorkQueue] == 1, Timeout, "the message to be in flight");

        await harness.Host.StopAsync(ct);

        // Not processed, and handed back at once rather than after its 60 s lease.
        Assert.Empty(await harness.DrainAsync(harness.ProcessedQueue, ct));
        var queue = await harness.QueueAsync(harness.WorkQueue, ct);
        var peeked = (await queue.PeekMessagesAsync(1, ct)).Value;
        var message = Assert.Single(peeked);
        Assert.Equal(receipt.MessageId, message.MessageId);
        Assert.Equal(1, message.DequeueCount);
    }
}

/// <summary>What the test worker's Record function writes to the output queue (same shape as its record).</summary>
internal sealed record ProcessedRecord(
    string Message,
    string Id,
    long DequeueCount,
    DateTimeOffset InsertionTime,
    bool HasPopReceipt,
    int ProcessId,
    DateTimeOffset Started,
    DateTimeOffset Finished);
