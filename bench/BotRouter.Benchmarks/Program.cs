using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Queues;
using BotRouter.Benchmarks;
using BotRouter.DevHost;
using BotRouter.Testing;

// dotnet run -c Release --project bench/BotRouter.Benchmarks -- [--quick] [--app-cmd "<shell command>"] [--out <dir>]
// dotnet run -c Release --project bench/BotRouter.Benchmarks -- micro
// dotnet run -c Release --project bench/BotRouter.Benchmarks -- soak [--messages N --chats M --seed S ...] (bench/SOAK.md)
var root = RepositoryRoot.Find();
var quick = args.Contains("--quick");
var sustainedOnly = args.Contains("--sustained-only"); // warm-up and the sustained run only, to look into it
var output = Option("--out") ?? Path.Combine(root, "bench", "results");
Directory.CreateDirectory(output);

if (args.Contains("soak"))
{
    return await BotRouter.Soak.SoakCommand.RunAsync(args, output);
}

if (args.Contains("micro"))
{
    PureParts.Run(output);
    return 0;
}

var appCommand = Option("--app-cmd") ?? Environment.GetEnvironmentVariable("BENCH_APP_CMD") ?? AppProcess.DefaultCommand(root);
var total = Stopwatch.StartNew();
var report = new Report(quick, appCommand);
void Say(string line) => Console.WriteLine($"[{total.Elapsed:mm\\:ss}] {line}");

int[] levels = [1, 16, 64];
var ackCount = quick ? new Dictionary<int, int> { [1] = 30, [16] = 150, [64] = 256 } : new Dictionary<int, int> { [1] = 300, [16] = 500, [64] = 600 };
var ackAloneCount = quick ? 30 : 100;
var e2ePerSender = quick ? new Dictionary<int, int> { [1] = 4, [16] = 1, [64] = 1 } : new Dictionary<int, int> { [1] = 20, [16] = 5, [64] = 2 };
var handOverPerSender = quick ? new Dictionary<int, int> { [1] = 3, [16] = 1, [64] = 1 } : new Dictionary<int, int> { [1] = 10, [16] = 2, [64] = 1 };
var warmUp = quick ? 30 : 100;
var scaleMessages = quick ? 100 : 1000;
var hotMessages = quick ? 60 : 200; // one chat is served one turn at a time: fewer messages, same rate measure
var scaleChats = quick ? 100 : 1000;
var scaleCap = TimeSpan.FromSeconds(quick ? 12 : 40);
var hotCap = TimeSpan.FromSeconds(quick ? 20 : 60);
var drainCap = TimeSpan.FromSeconds(quick ? 30 : 120);
var accountingChats = quick ? 4 : 10;
var replyTimeout = TimeSpan.FromSeconds(60);

// Storage: Azurite on free ports, reused from the dev host, on disk in a fresh directory (see AzuriteData).
using var azuriteData = new AzuriteData();
await using var azurite = new Azurite();
var ports = (Blob: FreePorts.Next(), Queue: FreePorts.Next(), Table: FreePorts.Next());
await azurite.EnsureRunningAsync(root, ports, azuriteData.Path, TextWriter.Null, CancellationToken.None);
Say($"Azurite on {ports}");
await using var proxy = await StorageProxy.StartAsync(ports, FreePorts.Next);
await using var router = await RouterFake.StartAsync();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    Timeout = TimeSpan.FromSeconds(30),
};
var accountId = Guid.NewGuid().ToString();
var ceiling = new Uri(router.BaseUrl + "ceiling");
var ceilingBody = System.Text.Encoding.UTF8.GetBytes(Scenario.WebhookBody(Guid.NewGuid().ToString(), accountId, "+31600000000", "hi", "r"));
var floorQueue = new QueueClient(Connection(ports), "bench-floor", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
await floorQueue.CreateIfNotExistsAsync();
var floorTable = new Azure.Data.Tables.TableClient(Connection(ports), "benchfloor");
await floorTable.CreateIfNotExistsAsync();
var floorPayload = Scenario.WebhookBody(Guid.NewGuid().ToString(), accountId, "+31600000000", "hi", Guid.NewGuid().ToString());
var azuritePids = AppProcess.AzuritePids();

Dictionary<string, string> AppEnvironment(string storage, string url) => new()
{
    ["AzureWebJobsStorage"] = storage,
    ["DevHost__Urls"] = url,
    ["DevHost__Simulator"] = "false",
    ["DevHost__Azurite"] = "false",
    ["BotRouter__BaseUrl"] = router.BaseUrl,
    ["BotRouter__AccountId"] = accountId,
    ["BotRouter__ProductToken"] = Guid.NewGuid().ToString(),
    ["Logging__LogLevel__BotRouter.Core.Processing.ChatProcessor"] = "Debug",
    ["ASPNETCORE_ENVIRONMENT"] = "Production",
    ["DOTNET_ENVIRONMENT"] = "Production",
};

// ---- Phase 1: load against the app on Azurite directly ----
var appUrl = $"http://127.0.0.1:{FreePorts.Next()}";
var app = await AppProcess.StartAsync(appCommand, root, AppEnvironment(Connection(ports), appUrl), appUrl, Path.Combine(output, "app-load.log"), http);
Say($"app (pid {app.Pid}) healthy at {appUrl}");
var scenario = new Scenario(http, appUrl, accountId, router);

async Task<bool> Ceiling()
{
    using var content = new ByteArrayContent(ceilingBody);
    using var response = await http.PostAsync(ceiling, content);
    return response.StatusCode == HttpStatusCode.OK;
}

async Task<bool> Floor()
{
    await floorQueue.SendMessageAsync($$"""{"chatId":"{{Guid.NewGuid()}}"}""");
    return true;
}

// The ack's own storage work without the app: one entity-group transaction (dedupe + inbox row) and one queue put.
async Task<bool> AckShapedFloor()
{
    var partition = Guid.NewGuid().ToString();
    await floorTable.SubmitTransactionAsync(
    [
        new(Azure.Data.Tables.TableTransactionActionType.Add, new Azure.Data.Tables.TableEntity(partition, "ref-" + Guid.NewGuid().ToString("N")) { ["ReceivedUtc"] = DateTimeOffset.UtcNow }),
        new(Azure.Data.Tables.TableTransactionActionType.Add, new Azure.Data.Tables.TableEntity(partition, "in-" + Guid.NewGuid().ToString("N")) { ["Kind"] = "Customer", ["ReceivedUtc"] = DateTimeOffset.UtcNow, ["Payload"] = floorPayload }),
    ]);
    await floorQueue.SendMessageAsync($$"""{"chatId":"{{partition}}"}""");
    return true;
}

/// <summary>Acknowledgement burst: every message a new chat; also yields the burst's end-to-end latencies once all replies are in.</summary>
async Task<(RunStats Ack, RunStats EndToEnd)> AckBurst(int concurrency, int count)
{
    var chats = Enumerable.Range(0, count).Select(_ => Scenario.NewChat()).ToArray();
    var replies = chats.Select(c => router.ReplyTo(c.Number)).ToArray();
    var started = new long[count];
    var ack = await Load.RunAsync(concurrency, count, i =>
    {
        started[i] = Stopwatch.GetTimestamp();
        return scenario.PostAsync(chats[i], "hi");
    });
    try
    {
        await Task.WhenAll(replies).WaitAsync(drainCap);
    }
    catch (TimeoutException)
    {
        Say($"  not every reply arrived within {drainCap.TotalSeconds:F0} s; the missing ones count as failures");
    }

    var done = replies.Select((r, i) => (r, i)).Where(x => x.r.IsCompletedSuccessfully).ToArray();
    var e2e = done.Select(x => Stopwatch.GetElapsedTime(started[x.i], x.r.Result).TotalMilliseconds).ToArray();
    var processed = done.Length == 0 ? 1 : Stopwatch.GetElapsedTime(started.Min(), done.Max(x => x.r.Result)).TotalMilliseconds;
    return (ack, new RunStats(count, count - done.Length, processed, e2e));
}

Say("warm-up");
await Load.RunAsync(16, warmUp, _ => Ceiling());
await Load.RunAsync(16, warmUp, _ => Floor());
await Load.RunAsync(16, warmUp, _ => AckShapedFloor());
await floorQueue.ClearMessagesAsync();
await AckBurst(16, warmUp);
await Load.RunAsync(4, 8, _ => scenario.HandOverAsync(Scenario.NewChat(), replyTimeout).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default));

foreach (var c in sustainedOnly ? [] : levels)
{
    var n = ackCount[c];
    var http200 = await Load.RunAsync(c, n, _ => Ceiling());
    var floor = await Load.RunAsync(c, n, _ => Floor());
    var shaped = await Load.RunAsync(c, n, _ => AckShapedFloor());
    // Nothing dequeues the floor's messages; left in place they would slow every later dequeue (Azurite scans
    // all of an account's messages on each one), so the app would be measured against the bench's leftovers.
    await floorQueue.ClearMessagesAsync();
    var cpuApp = app.CpuMs();
    var cpuAzurite = AppProcess.CpuMs(azuritePids);
    var (ack, burstE2e) = await AckBurst(c, n);
    report.Cpu(c, (app.CpuMs() - cpuApp) / n, (AppProcess.CpuMs(azuritePids) - cpuAzurite) / n);
    Say($"c={c}: ceiling {http200.Throughput:F0}/s, raw enqueue {floor.Throughput:F0}/s, ack {ack.Throughput:F0}/s p50 {ack.P50:F1} p99 {ack.P99:F1} ms; burst e2e p99 {burst99(burstE2e)} ms");
    report.Add("ack", "bare Kestrel 200 (HTTP ceiling)", c, http200);
    report.Add("ack", "raw QueueClient.SendMessageAsync (storage floor)", c, floor);
    report.Add("ack", "raw table batch (2 rows) + queue put (the ack's storage work)", c, shaped);
    report.Add("ack", "POST /api/webhook → 200", c, ack);
    report.Ratio(c, ack.Throughput / floor.Throughput, ack.Throughput / shaped.Throughput, ack.Throughput / http200.Throughput);
    if (c == 1)
    {
        // The ack on its own, as the floors run: each webhook posted once the previous one was answered, so no
        // processing shares Azurite or the cores with it (in the burst above the previous messages' processing does).
        var alone = new double[ackAloneCount];
        var aloneRun = await Load.RunAsync(1, ackAloneCount, async i =>
        {
            // The reply reaches the fake before the processor's last commit and the queue delete: let them finish.
            await Task.Delay(TimeSpan.FromMilliseconds(30));
            alone[i] = (await scenario.RoundTripTimedAsync(Scenario.NewChat(), "hi", replyTimeout)).Ack;
            return true;
        });
        var ackAlone = aloneRun with { LatenciesMs = alone };
        report.Add("ack", "POST /api/webhook → 200, one at a time (each after the previous was answered)", c, ackAlone);
        report.AckAlone(ackAlone.P50, shaped.P50);
        Say($"c=1: ack one at a time p50 {ackAlone.P50:F1} ms vs raw batch+put p50 {shaped.P50:F1} ms");
    }

    report.Add("e2e", "burst: webhook → reply (open loop, backlog included)", c, burstE2e);

    var e2e = await Load.RunAsync(c, c * e2ePerSender[c], async _ => await scenario.RoundTripAsync(Scenario.NewChat(), "hi", replyTimeout) >= 0);
    report.Add("e2e", "webhook → reply (closed loop)", c, e2e);
    var handOver = await Load.RunAsync(c, c * handOverPerSender[c], async _ => await scenario.HandOverAsync(Scenario.NewChat(), replyTimeout) >= 0);
    report.Add("e2e", "\"agent\" webhook → mutation (closed loop)", c, handOver);
    Say($"c={c}: e2e p50 {e2e.P50:F0} p99 {e2e.P99:F0} ms; hand-over p50 {handOver.P50:F0} p99 {handOver.P99:F0} ms");
}

// One message at a time after the app was idle (longer than maxPollingInterval): each waits for no poll.
if (!sustainedOnly)
{
    await Task.Delay(TimeSpan.FromSeconds(3));
    var idleChat = Scenario.NewChat();
    var sequentialCount = quick ? 15 : 30;
    var roundTrips = new double[sequentialCount];
    var sequentialRun = await Load.RunAsync(1, sequentialCount, async i =>
    {
        if (i % 5 == 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(3)); // idle again now and then (not part of the latency)
        }

        roundTrips[i] = await scenario.RoundTripAsync(i == 0 ? idleChat : Scenario.NewChat(), "hi", replyTimeout);
        return true;
    });
    var sequential = sequentialRun with { LatenciesMs = roundTrips };
    report.Add("e2e", "one at a time after idle: webhook → reply", 1, sequential);
    Say($"one at a time after idle: p50 {sequential.P50:F0} p99 {sequential.P99:F0} ms");
}

// Sustained: 16 senders post as fast as acknowledged over many chats; is processing keeping up?
{
    var messages = Option("--sustained-messages") is { } m ? int.Parse(m, System.Globalization.CultureInfo.InvariantCulture) : quick ? 400 : 2000;
    var chats = Enumerable.Range(0, messages / 5).Select(_ => Scenario.NewChat()).ToArray();
    var posted = new long[messages];
    var replies = Enumerable.Range(0, messages).Select(i => router.ReplyTo(chats[i % chats.Length].Number, i / chats.Length)).ToArray();
    var acknowledged = 0;
    using var progress = new CancellationTokenSource();
    var timeline = Task.Run(async () =>
    {
        // Progress, and where the run stalls: every 2 s what was acknowledged and answered so far.
        for (var t = Stopwatch.StartNew(); !progress.IsCancellationRequested; await Task.Delay(2000, CancellationToken.None))
        {
            Say($"  sustained {t.Elapsed.TotalSeconds:F0} s: acknowledged {Volatile.Read(ref acknowledged)}, answered {replies.Count(r => r.IsCompletedSuccessfully)} of {messages}");
        }
    });
    var ack = await Load.RunAsync(16, messages, async i =>
    {
        posted[i] = Stopwatch.GetTimestamp();
        var ok = await scenario.PostAsync(chats[i % chats.Length], "hi");
        Interlocked.Increment(ref acknowledged);
        return ok;
    });
    try
    {
        await Task.WhenAll(replies).WaitAsync(drainCap);
    }
    catch (TimeoutException)
    {
        Say("  sustained: not every reply arrived in time; the missing ones count as failures");
    }

    await progress.CancelAsync();
    await timeline;

    var done = replies.Select((r, i) => (r, i)).Where(x => x.r.IsCompletedSuccessfully).ToArray();
    var e2e = done.Select(x => Stopwatch.GetElapsedTime(posted[x.i], x.r.Result).TotalMilliseconds).ToArray();
    var span = done.Length == 0 ? 1 : Stopwatch.GetElapsedTime(posted.Min(), done.Max(x => x.r.Result)).TotalMilliseconds;
    var answered = new RunStats(messages, messages - done.Length, span, e2e);
    report.Add("sustained", $"{messages} messages over {chats.Length} chats: POST /api/webhook → 200", 16, ack);
    report.Add("sustained", $"{messages} messages over {chats.Length} chats: webhook → reply", 16, answered);
    report.Sustained = (ack.Throughput, answered.Throughput);
    Say($"sustained: ack {ack.Throughput:F0}/s, answered {answered.Throughput:F0}/s ({answered.Throughput / ack.Throughput:F2}), e2e p50 {answered.P50:F0} p99 {answered.P99:F0} ms");
}

static string burst99(RunStats s) => s.P99.ToString("F0", System.Globalization.CultureInfo.InvariantCulture);

report.PeakWorkingSetKiB = app.PeakWorkingSetKiB();
Say($"app peak working set {report.PeakWorkingSetKiB / 1024.0:F0} MiB");
await app.DisposeAsync();
if (sustainedOnly)
{
    return 0;
}

// ---- Phase 1b: the ack on its own at 16 and 64 senders ----
// The same app with its queue-triggered processor disabled (AzureWebJobs.ChatProcessor.Disabled, as on Azure), so
// no processing shares Azurite or the cores with the webhook, as with the floors. Its signals are cleared after.
{
    var ackOnlyUrl = $"http://127.0.0.1:{FreePorts.Next()}";
    var environment = AppEnvironment(Connection(ports), ackOnlyUrl);
    environment["AzureWebJobs__ChatProcessor__Disabled"] = "true"; // the run command starts under bash, which drops names with dots
    var ackOnly = await AppProcess.StartAsync(appCommand, root, environment, ackOnlyUrl, Path.Combine(output, "app-ack-only.log"), http);
    var ackOnlyScenario = new Scenario(http, ackOnlyUrl, accountId, router);
    await Load.RunAsync(16, warmUp, _ => ackOnlyScenario.PostAsync(Scenario.NewChat(), "hi"));
    foreach (var c in levels.Where(l => l > 1))
    {
        // The floor again, next to it: Azurite's tables have grown since phase 1.
        var shaped = await Load.RunAsync(c, ackCount[c], _ => AckShapedFloor());
        await floorQueue.ClearMessagesAsync();
        var run = await Load.RunAsync(c, ackCount[c], _ => ackOnlyScenario.PostAsync(Scenario.NewChat(), "hi"));
        report.Add("ack", "raw table batch (2 rows) + queue put, again before the next row", c, shaped);
        report.Add("ack", "POST /api/webhook → 200, processing off (ChatProcessor disabled)", c, run);
        report.AckOnly(c, run.Throughput / shaped.Throughput);
        Say($"c={c}: ack with processing off {run.Throughput:F0}/s p50 {run.P50:F1} ms against raw batch+put {shaped.Throughput:F0}/s: {run.Throughput / shaped.Throughput:F2}");
    }

    await ackOnly.DisposeAsync();
    await new QueueClient(Connection(ports), "inbound").ClearMessagesAsync();
}

// ---- Phase 2: storage transactions, app pointed at the counting proxy ----
var proxied = $"http://127.0.0.1:{FreePorts.Next()}";
app = await AppProcess.StartAsync(appCommand, root, AppEnvironment(Connection(proxy.Ports), proxied), proxied, Path.Combine(output, "app-transactions.log"), http);
scenario = new Scenario(http, proxied, accountId, router);
Say($"app behind the counting proxy (pid {app.Pid})");
// Let the previous phase's backlog drain (the same Azurite), then get start-up writes out of the way.
var inbound = new QueueClient(Connection(ports), "inbound");
for (var waited = Stopwatch.StartNew(); waited.Elapsed < drainCap; await Task.Delay(500))
{
    if ((await inbound.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0)
    {
        break;
    }
}

try
{
    await scenario.RoundTripAsync(Scenario.NewChat(), "hi", replyTimeout);
}
catch (TimeoutException)
{
    Say("  the first round trip behind the proxy timed out; counting goes on");
}

await QuiesceAsync();
var idleStart = proxy.Snapshot();
var idleWatch = Stopwatch.StartNew();
await Task.Delay(TimeSpan.FromSeconds(quick ? 3 : 6));
report.Transactions("idle (per minute, both listeners)", StorageProxy.Delta(proxy.Snapshot(), idleStart), idleWatch.Elapsed.TotalMinutes);

var accountingSet = Enumerable.Range(0, accountingChats).Select(_ => Scenario.NewChat()).ToArray();
await QuiesceAsync();
var before = proxy.Snapshot();
foreach (var chat in accountingSet)
{
    await scenario.RoundTripAsync(chat, "hi", replyTimeout);
    await Task.Delay(300); // let the processors finish (release, delete the queue message) before the next one
}

report.Transactions("first message of a new chat → reply", StorageProxy.Delta(proxy.Snapshot(), before), accountingChats);

before = proxy.Snapshot();
foreach (var chat in accountingSet)
{
    var replies = router.RepliesTo(chat.Number);
    await scenario.PostAsync(chat, "1");
    while (router.RepliesTo(chat.Number) == replies)
    {
        await Task.Delay(5);
    }

    await Task.Delay(300);
}

report.Transactions("follow-up message in an existing chat → reply", StorageProxy.Delta(proxy.Snapshot(), before), accountingChats);

before = proxy.Snapshot();
for (var i = 0; i < accountingChats; i++)
{
    await scenario.HandOverAsync(Scenario.NewChat(), replyTimeout);
    await Task.Delay(300);
}

report.Transactions("\"agent\" in a new chat → notice + mutation", StorageProxy.Delta(proxy.Snapshot(), before), accountingChats);

// Scale (behind the counting proxy, so re-signals and ETag conflicts are counted): 1 chat vs many chats at 16 senders; processing throughput = messages answered per second, first post → last reply.
// One chat first and drained (its re-signals must not bleed into the next run); the many-chat run last, capped in time.
foreach (var (chatsCount, messages) in new[] { (1, hotMessages), (scaleChats, scaleMessages) })
{
    await QuiesceAsync();
    var chats = Enumerable.Range(0, chatsCount).Select(_ => Scenario.NewChat()).ToArray();
    var counted = proxy.Snapshot();
    var repliesBefore = chats.Sum(ch => router.RepliesTo(ch.Number));
    var start = Stopwatch.GetTimestamp();
    var ack = await Load.RunAsync(16, messages, i => scenario.PostAsync(chats[i % chatsCount], "hi"));
    while (chats.Sum(ch => router.RepliesTo(ch.Number)) - repliesBefore < messages && Stopwatch.GetElapsedTime(start) < (chatsCount == 1 ? hotCap : scaleCap))
    {
        await Task.Delay(20);
    }

    var answered = chats.Sum(ch => router.RepliesTo(ch.Number)) - repliesBefore;
    var processedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    await Task.Delay(1000); // the last releases and deletes
    var delta = StorageProxy.Delta(proxy.Snapshot(), counted);
    // Every webhook puts one inbound signal; any further inbound put is a processor finding the chat busy.
    var busy = delta.Where(kv => kv.Key.StartsWith("queue put inbound", StringComparison.Ordinal)).Sum(kv => kv.Value) - messages;
    var conflicts = delta.Where(kv => kv.Key.StartsWith("status 409", StringComparison.Ordinal) || kv.Key.StartsWith("status 412", StringComparison.Ordinal)).Sum(kv => kv.Value);
    report.Scale(chatsCount, messages, ack, answered, processedMs, busy, conflicts);
    if (answered >= messages)
    {
        report.Transactions($"{messages} messages over {chatsCount} chat(s), 16 senders (per message)", delta, messages);
    }

    Say($"scale {chatsCount} chat(s): ack {ack.Throughput:F0}/s, answered {answered}/{messages} at {answered / (processedMs / 1000):F0}/s, busy re-signals {busy}");
}

await app.DisposeAsync();

report.TotalSeconds = total.Elapsed.TotalSeconds;
var text = report.Render();
Console.WriteLine();
Console.WriteLine(text);
await report.WriteAsync(output);
Say($"results in {output}");
return 0;

// Waits until the app has made no storage call other than empty polls for a second (bounded), so phases do not bleed.
async Task QuiesceAsync()
{
    var watch = Stopwatch.StartNew();
    var last = proxy.Snapshot();
    while (watch.Elapsed < TimeSpan.FromSeconds(quick ? 30 : 90))
    {
        await Task.Delay(1000);
        var now = proxy.Snapshot();
        if (StorageProxy.Delta(now, last).Keys.All(k => k.Contains("get empty", StringComparison.Ordinal)))
        {
            return;
        }

        last = now;
    }
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string Connection((int Blob, int Queue, int Table) p) =>
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
    $"BlobEndpoint=http://127.0.0.1:{p.Blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{p.Queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{p.Table}/devstoreaccount1;";
