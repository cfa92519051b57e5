using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BotRouter.IntegrationTests.Infrastructure;

/// <summary>One request the app made to the Bot Router.</summary>
public sealed record RecordedCall(string Path, string? Token, string? ContentType, string Body, int Status)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);
}

/// <summary>A real HTTP fake of the CM Bot Router on a free loopback port: records every call and can fail on command.</summary>
public sealed class RouterFake : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<int> failures = new();
    private readonly object randomLock = new();
    private Random? random;
    private double failureRate;

    private RouterFake(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    private readonly ConcurrentDictionary<string, int> refusals = new();

    public ConcurrentQueue<RecordedCall> Calls { get; } = new();

    public static async Task<RouterFake> StartAsync()
    {
        RouterFake? fake = null;
        var (app, url) = await LoopbackServer.StartAsync(a => a.Run(c => fake!.HandleAsync(c)));
        fake = new RouterFake(app, url + "/");
        return fake;
    }

    /// <summary>The next calls answer these statuses (in order) instead of 200.</summary>
    public void FailNext(params int[] statuses)
    {
        foreach (var s in statuses)
        {
            failures.Enqueue(s);
        }
    }

    /// <summary>From now on, fail this share of calls with a 5xx, at random (seeded, so a run can be repeated).</summary>
    public void FailRandomly(double rate, int seed)
    {
        lock (randomLock)
        {
            random = new Random(seed);
            failureRate = rate;
        }
    }

    /// <summary>From now on, every call whose path contains <paramref name="pathPart"/> is refused with <paramref name="status"/>.</summary>
    public void Refuse(string pathPart, int status) => refusals[pathPart] = status;

    public int Injected => Calls.Count(c => c.Status >= 500);

    public IReadOnlyList<RecordedCall> To(string pathPart) => Calls.Where(c => c.Path.Contains(pathPart, StringComparison.Ordinal) && c.Status == 200).ToList();

    public async Task<IReadOnlyList<RecordedCall>> WaitForAsync(Func<IReadOnlyList<RecordedCall>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var snapshot = Calls.Where(c => c.Status == 200).ToList();
            if (done(snapshot))
            {
                return snapshot;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The router fake did not see the expected calls within {timeout}; it saw: {string.Join(" | ", Calls.Select(c => $"{c.Status} {c.Path}"))}");
            }

            await Task.Delay(50);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var status = failures.TryDequeue(out var failure) ? failure : 200;
        foreach (var (part, refusal) in refusals)
        {
            if (status == 200 && (context.Request.Path.Value ?? string.Empty).Contains(part, StringComparison.Ordinal))
            {
                status = refusal;
            }
        }

        lock (randomLock)
        {
            if (status == 200 && random is not null && random.NextDouble() < failureRate)
            {
                status = random.Next(2) == 0 ? 500 : 503;
            }
        }

        Calls.Enqueue(new RecordedCall(context.Request.Path.Value ?? string.Empty, context.Request.Headers["X-CM-PRODUCTTOKEN"].FirstOrDefault(), context.Request.ContentType, body, status));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(status == 200 ? """{"details":"Created 1 message(s)","errorCode":0,"messages":[]}""" : """{"details":"fault injected","errorCode":500}""");
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
