using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BotRouter.Soak;

/// <summary>One call the router fake accepted (200), in the order it accepted them (<see cref="Seq"/>).</summary>
public sealed record SoakCall(long Seq, string Kind, string Key, string Text, string Reference);

/// <summary>
/// The Bot Router as a fault-injecting HTTP fake. A seeded share of calls fails: 500, 503, 429 with
/// <c>Retry-After: 1</c>, or a timeout (held longer than the app's attempt timeout, then 503; never delivered).
/// Only calls answered 200 count as delivered: replies (by customer number), mutations (by chat id, enable or
/// disable), positions. Like CM, it reports each delivered reply that has a reference to the app
/// (<c>POST {app}/api/status</c>, code 2 "delivered") after <see cref="ReportDelay"/>, retrying every second
/// until the app answers 200.
/// </summary>
public sealed class SoakRouter : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly object gate = new();
    private readonly ConcurrentDictionary<string, long> injected = new();
    private Random random = new(0);
    private double failureRate;
    private long seq;
    private long lastCallTicks = Environment.TickCount64;
    private readonly HttpClient reports = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<Task, byte> reporting = new();
    private long reportsPosted;
    private long reportAttemptsRefused;
    private long reportTurn;

    private SoakRouter(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>How long a "timeout" fault holds the call (longer than the app's attempt timeout).</summary>
    public TimeSpan Hold { get; set; } = TimeSpan.FromSeconds(2);

    public ConcurrentQueue<SoakCall> Delivered { get; } = new();

    /// <summary>The app instances status reports go to (in turn); none: no reports.</summary>
    public IReadOnlyList<string> ReportTo { get; set; } = [];

    /// <summary>How long after accepting a reply its "delivered" report is posted.</summary>
    public TimeSpan ReportDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Status reports the app answered 200.</summary>
    public long ReportsPosted => Interlocked.Read(ref reportsPosted);

    /// <summary>Status report attempts the app did not answer 200 (retried).</summary>
    public long ReportAttemptsRefused => Interlocked.Read(ref reportAttemptsRefused);

    public IReadOnlyDictionary<string, long> Injected => injected;

    public long Calls => Interlocked.Read(ref seq);

    /// <summary>Milliseconds since the last call arrived.</summary>
    public long QuietMs => Environment.TickCount64 - Interlocked.Read(ref lastCallTicks);

    public static async Task<SoakRouter> StartAsync(int port)
    {
        var url = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new SoakRouter(app, url + "/");
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        return fake;
    }

    public void FailRandomly(double rate, int seed)
    {
        lock (gate)
        {
            random = new Random(seed);
            failureRate = rate;
        }
    }

    private string Decide()
    {
        lock (gate)
        {
            if (failureRate <= 0 || random.NextDouble() >= failureRate)
            {
                return "ok";
            }

            return random.Next(4) switch
            {
                0 => "500",
                1 => "503",
                2 => "429",
                _ => "timeout",
            };
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        Interlocked.Exchange(ref lastCallTicks, Environment.TickCount64);
        var path = context.Request.Path.Value ?? string.Empty;
        var kind = path.Contains("bmproxy", StringComparison.Ordinal) ? "reply"
            : path.Contains("mutationrequests", StringComparison.Ordinal) ? "mutation"
            : path.Contains("positionrequests", StringComparison.Ordinal) ? "position"
            : "other";
        var fault = Decide();
        if (fault != "ok")
        {
            injected.AddOrUpdate($"{fault} ({kind})", 1, (_, n) => n + 1);
            Interlocked.Increment(ref seq);
            switch (fault)
            {
                case "timeout":
                    try
                    {
                        await Task.Delay(Hold, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    context.Response.StatusCode = 503;
                    break;
                case "429":
                    context.Response.StatusCode = 429;
                    context.Response.Headers.RetryAfter = "1";
                    break;
                default:
                    context.Response.StatusCode = int.Parse(fault, System.Globalization.CultureInfo.InvariantCulture);
                    break;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"details":"fault injected","errorCode":500}""");
            return;
        }

        var json = body.Length == 0 ? null : JsonNode.Parse(body);
        var n = Interlocked.Increment(ref seq);
        switch (kind)
        {
            case "reply":
                foreach (var msg in json?["messages"]?["msg"]?.AsArray() ?? [])
                {
                    var to = msg?["to"]?[0]?["number"]?.ToString() ?? string.Empty;
                    var reference = msg?["reference"]?.ToString() ?? string.Empty;
                    Delivered.Enqueue(new SoakCall(n, "reply", to, msg?["body"]?["content"]?.ToString() ?? string.Empty, reference));
                    Report(to, reference);
                }

                break;
            case "mutation":
                var type = json?["Mutations"]?[0]?["$type"]?.ToString() ?? json?["Mutations"]?[0]?["action"]?.ToString() ?? string.Empty;
                var enable = type.StartsWith("enable", StringComparison.OrdinalIgnoreCase);
                Delivered.Enqueue(new SoakCall(n, enable ? "enable" : "disable", (json?["ChatId"] ?? json?["chatId"])?.ToString() ?? string.Empty, type, string.Empty));
                break;
            case "position":
                Delivered.Enqueue(new SoakCall(n, "position", (json?["ChatId"] ?? json?["chatId"])?.ToString() ?? string.Empty, body, string.Empty));
                break;
            default:
                break;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("""{"details":"Created 1 message(s)","errorCode":0,"messages":[]}""");
    }

    private void Report(string to, string reference)
    {
        var apps = ReportTo;
        if (apps.Count == 0 || reference.Length == 0)
        {
            return;
        }

        var target = apps[(int)(Interlocked.Increment(ref reportTurn) % apps.Count)];
        var task = ReportAsync(target, to, reference, stopping.Token);
        reporting[task] = 0;
        _ = task.ContinueWith(done => reporting.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task ReportAsync(string appBaseUrl, string to, string reference, CancellationToken cancellationToken)
    {
        var report = new JsonObject
        {
            ["messages"] = new JsonObject
            {
                ["msg"] = new JsonObject
                {
                    ["received"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["to"] = to,
                    ["reference"] = reference,
                    ["status"] = new JsonObject { ["code"] = 2, ["errorCode"] = null, ["errorDescription"] = null },
                    ["operator"] = null,
                },
            },
        }.ToJsonString();
        try
        {
            await Task.Delay(ReportDelay, cancellationToken);
            for (var attempt = 1; attempt <= 120; attempt++)
            {
                try
                {
                    using var content = new StringContent(report, System.Text.Encoding.UTF8, "application/json");
                    using var answer = await reports.PostAsync(new Uri(new Uri(appBaseUrl), "api/status"), content, cancellationToken);
                    if (answer.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref reportsPosted);
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    // The instance is down (killed) or slow: CM retries.
                }

                Interlocked.Increment(ref reportAttemptsRefused);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The soak is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await Task.WhenAll(reporting.Keys);
        stopping.Dispose();
        reports.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
