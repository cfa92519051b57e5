using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using BotRouter.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace BotRouter.IntegrationTests;

/// <summary>The shared Bot Router fake over real HTTP: its fault model, its status reports and its waits.</summary>
public sealed class RouterFakeTests : IDisposable
{
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static string Reply(string number, string text, string reference) =>
        new JsonObject
        {
            ["messages"] = new JsonObject
            {
                ["msg"] = new JsonArray(new JsonObject
                {
                    ["to"] = new JsonArray(new JsonObject { ["number"] = number }),
                    ["body"] = new JsonObject { ["type"] = "AUTO", ["content"] = text },
                    ["reference"] = reference,
                }),
            },
        }.ToJsonString();

    private async Task<HttpResponseMessage> PostAsync(RouterFake router, string path, string body = "{}")
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await http.PostAsync(new Uri(router.BaseUrl + path), content, TestContext.Current.CancellationToken);
    }

    private async Task<int> StatusAsync(RouterFake router, string path, string body = "{}")
    {
        using var response = await PostAsync(router, path, body);
        return (int)response.StatusCode;
    }

    [Fact]
    public async Task Queued_statuses_are_answered_in_order_then_200_and_every_call_is_recorded()
    {
        await using var router = await RouterFake.StartAsync();
        router.FailNext(503, 400, 500);

        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add(await StatusAsync(router, "bmproxy/v1/messages", Reply("+31600000001", $"m{i}", $"r{i}")));
        }

        Assert.Equal([503, 400, 500, 200], statuses);
        Assert.Equal([503, 400, 500, 200], router.Calls.Select(c => c.Status));
        Assert.Equal(["503", "400", "500", null], router.Calls.Select(c => c.Fault));
        Assert.Equal([1L, 2L, 3L, 4L], router.Calls.Select(c => c.Seq));
        Assert.Equal("r3", Assert.Single(router.Delivered).Reference);
        Assert.Equal(1, router.Injected["400 (reply)"]);
    }

    [Fact]
    public async Task A_refused_path_is_refused_every_time_while_other_paths_are_accepted()
    {
        await using var router = await RouterFake.StartAsync();
        router.Refuse("mutationrequests", 403);

        var mutations = new[] { await StatusAsync(router, "chats/c1/mutationrequests", """{"ChatId":"c1"}"""), await StatusAsync(router, "chats/c1/mutationrequests", """{"ChatId":"c1"}""") };
        var position = await StatusAsync(router, "chats/c1/positionrequests", """{"ChatId":"c1"}""");

        Assert.Equal([403, 403], mutations);
        Assert.Equal(200, position);
        Assert.Empty(router.To("mutationrequests"));
        Assert.Equal("position", Assert.Single(router.Delivered).Kind);
        Assert.Equal(2, router.Injected["403 (mutation)"]);
        Assert.False(router.MutationFor("c1").IsCompleted);
    }

    [Fact]
    public async Task Seeded_random_faults_repeat_with_the_same_seed_and_differ_with_another()
    {
        async Task<List<string>> Run(int seed)
        {
            await using var router = await RouterFake.StartAsync();
            router.Hold = TimeSpan.FromMilliseconds(50);
            router.FailRandomly(0.5, seed, RouterFake.AllFaults);
            for (var i = 0; i < 40; i++)
            {
                await StatusAsync(router, "bmproxy/v1/messages", Reply("+31600000002", $"m{i}", $"r{i}"));
            }

            return [.. router.Calls.Select(c => c.Fault ?? "ok")];
        }

        var first = await Run(17);
        var again = await Run(17);
        var other = await Run(18);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Contains("ok", first);
        Assert.Subset(new HashSet<string> { "ok", "500", "503", "429", "timeout" }, first.ToHashSet());
        Assert.True(first.Distinct().Count() >= 4, string.Join(", ", first));
    }

    [Fact]
    public async Task A_429_carries_Retry_After_and_a_timeout_is_held_then_answered_503()
    {
        await using var router = await RouterFake.StartAsync();
        router.Hold = TimeSpan.FromMilliseconds(300);
        router.FailNext(429, RouterFake.TimeoutFault);
        router.RetryAfterSeconds = 7;

        using var tooMany = await PostAsync(router, "bmproxy/v1/messages");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var held = await PostAsync(router, "bmproxy/v1/messages");
        var waited = System.Diagnostics.Stopwatch.GetElapsedTime(started);

        Assert.Equal(429, (int)tooMany.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), tooMany.Headers.RetryAfter?.Delta);
        Assert.Equal(503, (int)held.StatusCode);
        Assert.True(waited >= TimeSpan.FromMilliseconds(250), $"answered after {waited.TotalMilliseconds:F0} ms");
        Assert.Null(held.Headers.RetryAfter);
        Assert.Equal(["429", "timeout"], router.Calls.Select(c => c.Fault));
    }

    [Fact]
    public async Task A_delivered_reply_is_reported_to_the_app_and_the_report_is_retried_until_200()
    {
        var received = new ConcurrentQueue<string>();
        var (app, url) = await LoopbackServer.StartAsync(a => a.MapPost("/api/status", async (HttpContext c) =>
        {
            using var reader = new StreamReader(c.Request.Body);
            received.Enqueue(await reader.ReadToEndAsync());
            return received.Count <= 2 ? Results.StatusCode(503) : Results.Ok();
        }));
        await using var _ = app;
        await using var router = await RouterFake.StartAsync();
        router.ReportTo = [url + "/"];
        router.ReportDelay = TimeSpan.Zero;
        router.ReportRetryDelay = TimeSpan.FromMilliseconds(100);

        Assert.Equal(200, await StatusAsync(router, "bmproxy/v1/messages", Reply("+31600000003", "hello", "ref-3")));
        Assert.Equal(200, await StatusAsync(router, "bmproxy/v1/messages", Reply("+31600000003", "no reference", string.Empty)));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (router.ReportsPosted == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal((1L, 2L), (router.ReportsPosted, router.ReportAttemptsRefused));
        Assert.Equal(3, received.Count);
        var report = JsonNode.Parse(received.Last())!["messages"]!["msg"]!;
        Assert.Equal(("ref-3", "+31600000003", 2), (report["reference"]!.GetValue<string>(), report["to"]!.GetValue<string>(), report["status"]!["code"]!.GetValue<int>()));
    }

    [Fact]
    public async Task The_wait_for_the_nth_reply_completes_with_that_reply_and_not_before()
    {
        await using var router = await RouterFake.StartAsync();
        const string number = "+31600000004";
        var first = router.ReplyTo(number);
        var second = router.ReplyTo(number, 1);

        await StatusAsync(router, "bmproxy/v1/messages", Reply(number, "one", "r1"));
        var firstAt = await first.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted);
        await StatusAsync(router, "bmproxy/v1/messages", Reply(number, "two", "r2"));
        var at = await second.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.True(at > firstAt);
        Assert.Equal(2, router.RepliesTo(number));
        Assert.Equal(["one", "two"], router.Delivered.Where(d => d.Kind == "reply" && d.Key == number).Select(d => d.Text));
        Assert.Equal(0, router.RepliesTo("+31600000005"));
    }

    public void Dispose() => http.Dispose();
}
