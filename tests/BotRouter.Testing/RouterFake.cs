using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace BotRouter.Testing;

/// <summary>
/// The CM Bot Router as a real HTTP fake on a free loopback port, for the integration tests, the benchmark and the
/// soak. Every call is recorded (<see cref="Calls"/>) and answered 200 like BMProxy unless a fault applies, looked
/// for in this order: the next status queued by <see cref="FailNext"/>, a refusal by path (<see cref="Refuse"/>), a
/// seeded random fault (<see cref="FailRandomly"/>). A 429 carries <c>Retry-After</c>; a <see cref="TimeoutFault"/>
/// holds the call for <see cref="Hold"/>, then answers 503. What it accepted is also kept as <see cref="Delivered"/>
/// (replies by customer number, mutations and positions by chat id) and completes the benchmark's waits
/// (<see cref="ReplyTo(string)"/>, <see cref="MutationFor"/>). Like CM, it reports each accepted reply that has a
/// reference to the apps in <see cref="ReportTo"/> (<c>POST {app}/api/status</c>, code 2 "delivered") after
/// <see cref="ReportDelay"/>, retrying every <see cref="ReportRetryDelay"/> until the app answers 200.
/// <c>/ceiling</c> is the bare-Kestrel baseline: 200, nothing else, not recorded.
/// </summary>
public sealed class RouterFake : IAsyncDisposable
{
    /// <summary>Not an HTTP status: the fault that holds the call for <see cref="Hold"/>, then answers 503.</summary>
    public const int TimeoutFault = -1;

    private const string Accepted = """{"details":"Created 1 message(s)","errorCode":0,"messages":[]}""";
    private const string Injection = """{"details":"fault injected","errorCode":500}""";
    private const int ReportAttempts = 120;

    private readonly WebApplication app;
    private readonly ConcurrentQueue<int> failures = new();
    private readonly ConcurrentDictionary<string, int> refusals = new();
    private readonly object randomLock = new();
    private readonly ConcurrentDictionary<string, long> injected = new();
    private readonly ConcurrentDictionary<(string, int), TaskCompletionSource<long>> nthReply = new();
    private readonly ConcurrentDictionary<string, int> replyCounts = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> firstMutation = new();
    private readonly HttpClient reports = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<Task, byte> reporting = new();
    private Random? random;
    private double failureRate;
    private IReadOnlyList<int> faultMix = ServerErrors;
    private long seq;
    private long lastCallTicks = Environment.TickCount64;
    private long reportsPosted;
    private long reportAttemptsRefused;
    private long reportTurn;

    private RouterFake(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The random fault mix of the integration tests: 500 or 503.</summary>
    public static IReadOnlyList<int> ServerErrors { get; } = [500, 503];

    /// <summary>The random fault mix of the soak, a quarter each: 500, 503, 429 with Retry-After, a timeout.</summary>
    public static IReadOnlyList<int> AllFaults { get; } = [500, 503, 429, TimeoutFault];

    /// <summary>The fake's address, ending in a slash.</summary>
    public string BaseUrl { get; }

    /// <summary>Every call, in the order they were recorded (on arrival, before a timeout's hold).</summary>
    public ConcurrentQueue<RecordedCall> Calls { get; } = new();

    /// <summary>What the fake accepted (200): replies, mutations, positions.</summary>
    public ConcurrentQueue<Delivery> Delivered { get; } = new();

    /// <summary>Faults injected, by <c>fault (kind)</c>, e.g. <c>429 (reply)</c>, <c>timeout (mutation)</c>.</summary>
    public IReadOnlyDictionary<string, long> Injected => injected;

    /// <summary>How long a <see cref="TimeoutFault"/> holds the call (longer than the app's attempt timeout).</summary>
    public TimeSpan Hold { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The <c>Retry-After</c> of a 429, in whole seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>The app instances status reports go to (in turn); none: no reports.</summary>
    public IReadOnlyList<string> ReportTo { get; set; } = [];

    /// <summary>How long after accepting a reply its "delivered" report is posted.</summary>
    public TimeSpan ReportDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long after a report the app did not answer 200 it is posted again.</summary>
    public TimeSpan ReportRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Status reports the app answered 200.</summary>
    public long ReportsPosted => Interlocked.Read(ref reportsPosted);

    /// <summary>Status report attempts the app did not answer 200 (retried).</summary>
    public long ReportAttemptsRefused => Interlocked.Read(ref reportAttemptsRefused);

    /// <summary>Milliseconds since the last call arrived.</summary>
    public long QuietMs => Environment.TickCount64 - Interlocked.Read(ref lastCallTicks);

    public static async Task<RouterFake> StartAsync()
    {
        RouterFake? fake = null;
        var (app, url) = await LoopbackServer.StartAsync(a => a.Run(c => fake!.HandleAsync(c)));
        fake = new RouterFake(app, url + "/");
        return fake;
    }

    /// <summary>The next calls answer these statuses (in order; <see cref="TimeoutFault"/> for a timeout) instead of 200.</summary>
    public void FailNext(params int[] statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        foreach (var s in statuses)
        {
            failures.Enqueue(s);
        }
    }

    /// <summary>
    /// From now on, fail this share of calls at random, with a fault of <paramref name="mix"/> (equally likely;
    /// <see cref="ServerErrors"/> when not given). Seeded, so a run can be repeated; a rate of 0 stops it.
    /// </summary>
    public void FailRandomly(double rate, int seed, IReadOnlyList<int>? mix = null)
    {
        lock (randomLock)
        {
            random = new Random(seed);
            failureRate = rate;
            faultMix = mix ?? ServerErrors;
        }
    }

    /// <summary>From now on, every call whose path contains <paramref name="pathPart"/> is refused with <paramref name="status"/>.</summary>
    public void Refuse(string pathPart, int status) => refusals[pathPart] = status;

    /// <summary>The accepted (200) calls whose path contains <paramref name="pathPart"/>.</summary>
    public IReadOnlyList<RecordedCall> To(string pathPart) => Calls.Where(c => c.Path.Contains(pathPart, StringComparison.Ordinal) && c.Status == 200).ToList();

    /// <summary>Waits until the accepted (200) calls satisfy <paramref name="done"/>, and returns them.</summary>
    public async Task<IReadOnlyList<RecordedCall>> WaitForAsync(Func<IReadOnlyList<RecordedCall>, bool> done, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(done);
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

    /// <summary>Completes with the <see cref="Stopwatch"/> timestamp of the first reply accepted for this customer number.</summary>
    public Task<long> ReplyTo(string customerNumber) => ReplyTo(customerNumber, 0);

    /// <summary>Completes with the timestamp of the <paramref name="index"/>-th (from 0) reply accepted for this customer number.</summary>
    public Task<long> ReplyTo(string customerNumber, int index) => nthReply.GetOrAdd((customerNumber, index), _ => NewSource()).Task;

    /// <summary>Completes with the timestamp of the first mutation accepted for this chat.</summary>
    public Task<long> MutationFor(string chatId) => firstMutation.GetOrAdd(chatId, _ => NewSource()).Task;

    /// <summary>How many replies were accepted for this customer number.</summary>
    public int RepliesTo(string customerNumber) => replyCounts.GetValueOrDefault(customerNumber);

    private static TaskCompletionSource<long> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string KindOf(string path) =>
        path.Contains("bmproxy", StringComparison.Ordinal) ? "reply"
        : path.Contains("mutationrequests", StringComparison.Ordinal) ? "mutation"
        : path.Contains("positionrequests", StringComparison.Ordinal) ? "position"
        : "other";

    private static JsonNode? Parse(string body)
    {
        try
        {
            return body.Length == 0 ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The status to answer: a queued one, a refusal by path, a random fault, or 200.</summary>
    private int Decide(string path)
    {
        if (failures.TryDequeue(out var next))
        {
            return next;
        }

        foreach (var (part, status) in refusals)
        {
            if (path.Contains(part, StringComparison.Ordinal))
            {
                return status;
            }
        }

        lock (randomLock)
        {
            if (random is not null && failureRate > 0 && random.NextDouble() < failureRate)
            {
                return faultMix[random.Next(faultMix.Count)];
            }
        }

        return 200;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var now = Stopwatch.GetTimestamp();
        var path = context.Request.Path.Value ?? string.Empty;
        if (path == "/ceiling")
        {
            context.Response.StatusCode = 200;
            return;
        }

        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        Interlocked.Exchange(ref lastCallTicks, Environment.TickCount64);
        var kind = KindOf(path);
        var decided = Decide(path);
        var status = decided == TimeoutFault ? 503 : decided;
        var fault = decided == 200 ? null : decided == TimeoutFault ? "timeout" : decided.ToString(CultureInfo.InvariantCulture);
        var n = Interlocked.Increment(ref seq);
        Calls.Enqueue(new RecordedCall(n, kind, path, context.Request.Headers["X-CM-PRODUCTTOKEN"].FirstOrDefault(), context.Request.ContentType, body, status, fault, now));
        if (fault is not null)
        {
            injected.AddOrUpdate($"{fault} ({kind})", 1, (_, c) => c + 1);
            if (decided == TimeoutFault)
            {
                try
                {
                    await Task.Delay(Hold, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            context.Response.StatusCode = status;
            if (status == 429)
            {
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Injection);
            return;
        }

        Deliver(n, kind, body, now);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Accepted);
    }

    /// <summary>Keeps what an accepted call delivered and completes the waits on it.</summary>
    private void Deliver(long n, string kind, string body, long now)
    {
        if (kind == "other")
        {
            return;
        }

        var json = Parse(body);
        switch (kind)
        {
            case "reply":
                // BMProxy: {"messages":{"msg":[{"to":[{"number":"+31..."}],"body":{"content":"..."},"reference":"..."}]}}
                foreach (var msg in json?["messages"]?["msg"]?.AsArray() ?? [])
                {
                    var to = msg?["to"]?[0]?["number"]?.ToString() ?? string.Empty;
                    var reference = msg?["reference"]?.ToString() ?? string.Empty;
                    Delivered.Enqueue(new Delivery(n, "reply", to, msg?["body"]?["content"]?.ToString() ?? string.Empty, reference));
                    var count = replyCounts.AddOrUpdate(to, 1, (_, c) => c + 1);
                    nthReply.GetOrAdd((to, count - 1), _ => NewSource()).TrySetResult(now);
                    Report(to, reference);
                }

                break;
            case "mutation":
                var type = json?["Mutations"]?[0]?["$type"]?.ToString() ?? json?["Mutations"]?[0]?["action"]?.ToString() ?? string.Empty;
                var enable = type.StartsWith("enable", StringComparison.OrdinalIgnoreCase);
                var chatId = ChatIdOf(json);
                Delivered.Enqueue(new Delivery(n, enable ? "enable" : "disable", chatId, type, string.Empty));
                firstMutation.GetOrAdd(chatId, _ => NewSource()).TrySetResult(now);
                break;
            default:
                Delivered.Enqueue(new Delivery(n, "position", ChatIdOf(json), body, string.Empty));
                break;
        }
    }

    private static string ChatIdOf(JsonNode? json) => (json?["ChatId"] ?? json?["chatId"])?.ToString() ?? string.Empty;

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
                    ["received"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
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
            for (var attempt = 1; attempt <= ReportAttempts; attempt++)
            {
                try
                {
                    using var content = new StringContent(report, Encoding.UTF8, "application/json");
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
                await Task.Delay(ReportRetryDelay, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The fake is stopping.
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
