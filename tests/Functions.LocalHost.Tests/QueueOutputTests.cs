using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;

namespace Functions.LocalHost.Tests;

public sealed class QueueOutputTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_http_function_answers_only_once_its_queue_messages_are_in_the_queue()
    {
        var ct = TestContext.Current.CancellationToken;

        // The host's storage traffic goes through a proxy that holds each chunk 500 ms, so writes
        // made after the response would still be missing when the test looks right after it.
        // No queue triggers: nothing takes the messages before the test looks.
        await using var proxy = new DelayingProxy(azurite.QueuePort, TimeSpan.FromMilliseconds(500));
        var slowStorage = azurite.ConnectionString.Replace($":{azurite.QueuePort}/", $":{proxy.Port}/", StringComparison.Ordinal);
        await using var harness = await HostHarness.StartAsync(azurite, ct, enableQueueTriggers: false, hostStorage: slowStorage);
        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };
        Assert.False((await new QueueClient(harness.ConnectionString, harness.OutboxQueue).ExistsAsync(ct)).Value);

        // Headers only: the status line must not leave the host before the messages are written.
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/enqueue") { Content = new StringContent("first\nsecond", Encoding.UTF8) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var queuedAtResponse = await harness.PeekAsync(harness.OutboxQueue, ct);

        // The response is the worker's, and by the time it arrived both messages were written
        // (the host created the queue, base64 as PeekAsync decodes it).
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["first", "second"], queuedAtResponse.Order());
        Assert.Equal(2, JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["queued"]!.GetValue<int>());

        // A single string output; and null outputs (empty bodies) write nothing.
        using var one = await client.PostAsync(new Uri("api/enqueue-one", UriKind.Relative), new StringContent("third", Encoding.UTF8), ct);
        Assert.Equal(HttpStatusCode.Accepted, one.StatusCode);
        Assert.Equal("accepted", await one.Content.ReadAsStringAsync(ct));
        using var none = await client.PostAsync(new Uri("api/enqueue", UriKind.Relative), new StringContent(string.Empty), ct);
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        using var noneOne = await client.PostAsync(new Uri("api/enqueue-one", UriKind.Relative), new StringContent(string.Empty), ct);
        Assert.Equal(HttpStatusCode.Accepted, noneOne.StatusCode);

        Assert.Equal(["first", "second", "third"], (await harness.PeekAsync(harness.OutboxQueue, ct)).Order());
    }

    [Fact]
    public async Task A_failed_output_write_answers_500_instead_of_the_worker_response()
    {
        var ct = TestContext.Current.CancellationToken;

        // Upper case and '_' are not valid in queue names: the storage service refuses the write.
        await using var harness = await HostHarness.StartAsync(azurite, ct, enableQueueTriggers: false, outboxQueue: "Not_A_Valid_Queue");
        var outcomes = new List<InvocationCompletedEventArgs>();
        harness.Host.InvocationCompleted += (_, e) =>
        {
            lock (outcomes)
            {
                outcomes.Add(e);
            }
        };
        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };

        using var response = await client.PostAsync(new Uri("api/enqueue", UriKind.Relative), new StringContent("lost", Encoding.UTF8), ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync(ct));
        lock (outcomes)
        {
            var outcome = Assert.Single(outcomes);
            Assert.Equal("Enqueue", outcome.FunctionName);
            Assert.False(outcome.Succeeded);
        }

        // Functions without host-written outputs are unaffected.
        using var ping = await client.GetAsync(new Uri("api/Ping", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
    }

    [Fact]
    public async Task An_enqueue_by_this_host_wakes_the_queue_listener_despite_a_long_maxPollingInterval()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct, hostJson: json => json["extensions"]!["queues"]!["maxPollingInterval"] = "00:00:30");
        Assert.Equal(TimeSpan.FromSeconds(30), harness.Host.QueueOptions!.MaxPollingInterval);

        // Let the empty (here: not yet existing) work queue's back-off grow until the listener's
        // next poll is at least 12 s away; without a wake-up the message would wait that long.
        var sleepingUntil = await Eventually.GetAsync(
            () => Task.FromResult(harness.Host.QueueSleepingUntil(harness.WorkQueue)),
            until => until is { } t && t - DateTimeOffset.UtcNow >= TimeSpan.FromSeconds(12),
            Timeout,
            "the listener's back-off to reach 12 s");
        var posted = DateTimeOffset.UtcNow;
        Assert.True(sleepingUntil!.Value - posted >= TimeSpan.FromSeconds(11));

        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };
        using var response = await client.PostAsync(new Uri("api/enqueue", UriKind.Relative), new StringContent("wake up", Encoding.UTF8), ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var processed = new List<string>();
        await Eventually.GetAsync(
            async () => { processed.AddRange(await harness.DrainAsync(harness.ProcessedQueue, ct)); return processed.Count; },
            n => n >= 1,
            Timeout,
            "the Record function to process the enqueued message");

        // Behaviour check, not a benchmark: it ran long before the listener would have polled.
        var record = JsonSerializer.Deserialize<ProcessedRecord>(Assert.Single(processed))!;
        Assert.Equal("wake up", record.Message);
        Assert.True(record.Started - posted < TimeSpan.FromSeconds(6), $"ran {record.Started - posted} after the POST; next scheduled poll was {sleepingUntil.Value - posted} away");
        Assert.True(record.Started < sleepingUntil.Value);
    }

    [Fact]
    public async Task A_missing_trigger_queue_is_not_created_and_is_picked_up_once_it_exists()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        var raw = new QueueClient(harness.ConnectionString, harness.WorkQueue);

        // The listener has polled the missing queue and is waiting to poll again.
        await Eventually.TrueAsync(
            () => harness.Logs.Lines.Any(l => l.Contains($"queue '{harness.WorkQueue}' does not exist", StringComparison.Ordinal)) &&
                harness.Host.QueueSleepingUntil(harness.WorkQueue) is not null,
            Timeout,
            "the listener to wait for the missing queue");
        Assert.False((await raw.ExistsAsync(ct)).Value);

        // Created by someone else, then filled: the next poll finds it.
        await raw.CreateAsync(cancellationToken: ct);
        await raw.SendMessageAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes("late queue")), ct);

        var processed = new List<string>();
        await Eventually.GetAsync(
            async () => { processed.AddRange(await harness.DrainAsync(harness.ProcessedQueue, ct)); return processed.Count; },
            n => n >= 1,
            Timeout,
            "the message on the late queue to be processed");
        Assert.Equal("late queue", JsonSerializer.Deserialize<ProcessedRecord>(Assert.Single(processed))!.Message);
    }
}
