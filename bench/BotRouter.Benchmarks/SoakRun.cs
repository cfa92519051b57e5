using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using BotRouter.Azure;
using BotRouter.Benchmarks;
using BotRouter.DevHost;
using BotRouter.Testing;

namespace BotRouter.Soak;

/// <summary>What a soak (or its small CI version, or the scale-out burst) does.</summary>
public sealed record SoakOptions
{
    public int Messages { get; init; } = 10_000;

    public int Chats { get; init; } = 1_000;

    public int Seed { get; init; } = 17;

    /// <summary>Share of router calls that fail (a mix of 500, 503, 429 with Retry-After: 1, and timeouts).</summary>
    public double FailureRate { get; init; } = 0.30;

    /// <summary>Share of customer messages delivered a second time (the very same body).</summary>
    public double DuplicateRate { get; init; } = 0.10;

    /// <summary>Share of chats with a take-over and a hand-back in their script.</summary>
    public double TakeOverShare { get; init; } = 0.20;

    /// <summary>Storage cut (zero: none) once half the customer messages are acknowledged.</summary>
    public TimeSpan Outage { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Kill -9 the Functions worker of the first instance once 70 % are acknowledged.</summary>
    public bool KillWorker { get; init; } = true;

    public int Instances { get; init; } = 1;

    /// <summary>Concurrent HTTP posts at most (chats run concurrently, each chat's steps one after another).</summary>
    public int Senders { get; init; } = 32;

    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A soak setting, not the app's default (5 min): the app's <c>Processing__RetryDelayMax</c>, the longest a chat whose
    /// router calls failed waits before its next attempt (2 s, 4 s, 8 s, ... up to this), so a run ends in minutes.
    /// </summary>
    public TimeSpan RetryDelayMax { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Router quiet this long with every expected reply in: done.</summary>
    public TimeSpan Quiet { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>
    /// Router quiet this long (at least <see cref="RetryDelayMax"/> + 5 s) with replies missing and no signal left in the
    /// inbound queue (visible or waiting out a retry delay): look at the poison queue (replay it, up to 10 rounds), then give up.
    /// </summary>
    public TimeSpan Stall { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Cap { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Replay poisoned messages when the run stalls (what an operator does: <c>POST /api/poison/replay</c>).</summary>
    public bool ReplayPoison { get; init; } = true;

    /// <summary>The dev host build output to run (<c>BotRouter.DevHost.dll</c>).</summary>
    public string DevHostDll { get; init; } = Path.Combine(AppContext.BaseDirectory, "BotRouter.DevHost.dll");

    public string LogDirectory { get; init; } = Path.GetTempPath();

    /// <summary>Flows to walk through; the default flows' answers (choices, an order number, fallback).</summary>
    public IReadOnlyList<string> Texts { get; init; } = ["hi", "1", "AB-12345", "yes", "2", "1", "yes", "1", "xyz", "CD-67890"];

    public Action<string> Say { get; init; } = Console.WriteLine;
}

public enum StepKind
{
    Message,
    TakeOver,
    HandBack,
}

/// <summary>One step of a chat's script; <see cref="AgentMode"/>: a customer message sent while an agent owns the chat.</summary>
public sealed record SoakStep(StepKind Kind, string Text, bool AgentMode, string? Body = null);

/// <summary>The figures of one run.</summary>
public sealed class SoakResult
{
    public int Sent { get; set; }

    public int SentInAgentMode { get; set; }

    public int Acknowledged { get; set; }

    public int DuplicatesPosted { get; set; }

    public int DuplicatesAcknowledged { get; set; }

    public int OperatorCommands { get; set; }

    public int WebhookPosts { get; set; }

    public int WebhookRetried { get; set; }

    public ConcurrentDictionary<string, int> WebhookStatuses { get; } = new();

    /// <summary>Acknowledged posts (200/202) per instance (1-based).</summary>
    public ConcurrentDictionary<int, int> AcknowledgedByInstance { get; } = new();

    public int Answered { get; set; }

    public int Lost { get; set; }

    public int DuplicatedByReference { get; set; }

    public int DuplicatedBySequence { get; set; }

    public int Unexpected { get; set; }

    public int ChatsDiffering { get; set; }

    public int RepliesInAgentMode { get; set; }

    public long RouterCalls { get; set; }

    public long RepliesDelivered { get; set; }

    public IReadOnlyDictionary<string, long> Injected { get; set; } = new Dictionary<string, long>();

    /// <summary>Status reports ("delivered") the app accepted / attempts it did not answer 200 (retried).</summary>
    public (long Posted, long Refused) StatusReports { get; set; }

    public long OutageRefused { get; set; }

    public string Outage { get; set; } = "none";

    public string WorkerKill { get; set; } = "none";

    public int PoisonedAtEnd { get; set; }

    public int PoisonReplayed { get; set; }

    public double Seconds { get; set; }

    /// <summary>The app settings the soak runs with that differ from the app's defaults.</summary>
    public string Settings { get; set; } = string.Empty;

    /// <summary>Why the wait ended: every expected reply in and the router quiet, a stall, or the time cap.</summary>
    public string Ended { get; set; } = string.Empty;

    public List<string> Problems { get; } = [];

    public string Table()
    {
        var injectedTotal = Injected.Values.Sum();
        string Kind(string k) => Injected.Where(kv => kv.Key.StartsWith(k + " ", StringComparison.Ordinal)).Sum(kv => kv.Value).ToString(CultureInfo.InvariantCulture);
        var statuses = string.Join(", ", WebhookStatuses.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value}"));
        var rows = new (string, string)[]
        {
            ("sent (distinct customer messages)", $"{Sent} ({SentInAgentMode} while an agent owned the chat)"),
            ("acknowledged (200)", Acknowledged.ToString(CultureInfo.InvariantCulture)),
            ("duplicate deliveries (same body again)", $"{DuplicatesPosted} posted, {DuplicatesAcknowledged} acknowledged"),
            ("take-overs + hand-backs", OperatorCommands.ToString(CultureInfo.InvariantCulture)),
            ("accepted per instance", string.Join(", ", AcknowledgedByInstance.OrderBy(kv => kv.Key).Select(kv => $"#{kv.Key}: {kv.Value}"))),
            ("webhook/operator POSTs (incl. retries)", $"{WebhookPosts} ({WebhookRetried} retried; {statuses})"),
            ("answered (bot mode, replies in order)", $"{Answered} of {Sent - SentInAgentMode}"),
            ("lost (bot-mode message without its reply at the end)", Lost.ToString(CultureInfo.InvariantCulture)),
            ("duplicated (BM reference repeated)", DuplicatedByReference.ToString(CultureInfo.InvariantCulture)),
            ("duplicated (per-chat reply sequence)", DuplicatedBySequence.ToString(CultureInfo.InvariantCulture)),
            ("unexpected replies (not in the reference)", Unexpected.ToString(CultureInfo.InvariantCulture)),
            ("chats differing from the reference", ChatsDiffering.ToString(CultureInfo.InvariantCulture)),
            ("bot replies while an agent owned the chat", RepliesInAgentMode.ToString(CultureInfo.InvariantCulture)),
            ("router calls / replies delivered", $"{RouterCalls} / {RepliesDelivered}"),
            ("status reports accepted / attempts refused", $"{StatusReports.Posted} / {StatusReports.Refused}"),
            ("injected router failures", $"{injectedTotal} ({(RouterCalls == 0 ? 0 : 100.0 * injectedTotal / RouterCalls):F1} %): 500 {Kind("500")}, 503 {Kind("503")}, 429 {Kind("429")}, timeout {Kind("timeout")}"),
            ("storage outage", $"{Outage}; {OutageRefused} connections refused"),
            ("worker kill", WorkerKill),
            ("poison at the end / replayed", $"{PoisonedAtEnd} / {PoisonReplayed}"),
            ("soak settings", Settings),
            ("ended", Ended),
            ("duration", $"{Seconds:F0} s"),
        };
        var width = rows.Max(r => r.Item1.Length);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| {"figure".PadRight(width)} | value |");
        text.AppendLine(CultureInfo.InvariantCulture, $"|{new string('-', width + 2)}|-------|");
        foreach (var (name, value) in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {name.PadRight(width)} | {value} |");
        }

        return text.ToString();
    }
}

/// <summary>
/// The soak: Azurite (on disk in a fresh directory, free ports) behind a TCP gate, a fault-injecting router fake, the run command as
/// its own process (one or more instances on the same storage), and a seeded scenario. First a reference
/// conversation per script is recorded through the same app without faults, one step at a time; then every
/// chat runs its script (chats concurrently, each chat's steps in order, the next after the previous got
/// 200/202), with faults, duplicates, a storage outage and a worker kill; then the replies each chat got are
/// compared with its script's reference.
/// </summary>
public sealed class SoakRun : IDisposable
{
    private const string AccountId = "5a0c3d7e-17aa-4e5b-9c1d-50a4c0000017";
    private readonly SoakOptions o;
    private readonly HttpClient http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2) }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly SoakResult result = new();
    private SemaphoreSlim senders = null!;
    private RouterFake router = null!;
    private List<AppProcess> apps = [];
    private int acknowledgedMessages;
    private QueueClient? inbound;

    private SoakRun(SoakOptions options) => o = options;

    public static async Task<SoakResult> RunAsync(SoakOptions options)
    {
        using var run = new SoakRun(options);
        return await run.RunAsync();
    }

    public void Dispose()
    {
        http.Dispose();
        senders?.Dispose();
    }

    private void Say(string line) => o.Say($"[{clock.Elapsed:mm\\:ss}] {line}");

    /// <summary>The scripts chats follow: plain, take-over then hand-back (no position), take-over then hand-back to main/welcome.</summary>
    public static List<List<SoakStep>> Templates(SoakOptions o, int messages)
    {
        string Text(int i) => o.Texts[i % o.Texts.Count];
        var plain = Enumerable.Range(0, messages).Select(i => new SoakStep(StepKind.Message, Text(i), false)).ToList();
        var templates = new List<List<SoakStep>> { plain };
        if (messages >= 4)
        {
            foreach (var (at, body) in new[] { (Math.Max(1, messages / 3), (string?)null), (Math.Max(1, messages / 2), """{"flowId":"main","stepId":"welcome"}""") })
            {
                var agent = Math.Min(2, messages - at - 1);
                var steps = new List<SoakStep>();
                for (var i = 0; i < messages; i++)
                {
                    if (i == at)
                    {
                        steps.Add(new SoakStep(StepKind.TakeOver, "takeover", false));
                    }

                    if (i == at + agent)
                    {
                        steps.Add(new SoakStep(StepKind.HandBack, "handback", false, body));
                    }

                    steps.Add(new SoakStep(StepKind.Message, Text(i), i >= at && i < at + agent));
                }

                templates.Add(steps);
            }
        }

        return templates;
    }

    private sealed record ChatRun(int Index, string ChatId, string Number, int Template, List<SoakStep> Steps);

    private async Task<SoakResult> RunAsync()
    {
        var root = RepositoryRoot.Find();
        senders = new SemaphoreSlim(o.Senders);
        using var azuriteData = new AzuriteData();
        await using var azurite = new Azurite();
        var ports = (Blob: FreePorts.Next(), Queue: FreePorts.Next(), Table: FreePorts.Next());
        await azurite.EnsureRunningAsync(root, ports, azuriteData.Path, TextWriter.Null, CancellationToken.None);
        var gates = new[] { new SoakGate(FreePorts.Next(), ports.Blob), new SoakGate(FreePorts.Next(), ports.Queue), new SoakGate(FreePorts.Next(), ports.Table) };
        router = await RouterFake.StartAsync();
        router.Hold = o.AttemptTimeout + TimeSpan.FromSeconds(1);
        try
        {
            var storage = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
                $"BlobEndpoint=http://127.0.0.1:{gates[0].Port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{gates[1].Port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{gates[2].Port}/devstoreaccount1;";
            Say($"Azurite on disk on {ports}, behind gates {gates[0].Port}/{gates[1].Port}/{gates[2].Port}; router fake at {router.BaseUrl}");
            var urls = new List<string>();
            for (var i = 0; i < o.Instances; i++)
            {
                var url = $"http://127.0.0.1:{FreePorts.Next()}";
                var environment = new Dictionary<string, string>
                {
                    ["AzureWebJobsStorage"] = storage,
                    ["DevHost__Urls"] = url,
                    ["DevHost__Simulator"] = "false",
                    ["DevHost__Azurite"] = "false",
                    ["BotRouter__BaseUrl"] = router.BaseUrl,
                    ["BotRouter__AccountId"] = AccountId,
                    ["BotRouter__ProductToken"] = "soak-token",
                    ["BotRouter__AttemptTimeout"] = o.AttemptTimeout.ToString("c", CultureInfo.InvariantCulture),
                    ["Processing__RetryDelayMax"] = o.RetryDelayMax.ToString("c", CultureInfo.InvariantCulture),
                    ["ASPNETCORE_ENVIRONMENT"] = "Production",
                    ["DOTNET_ENVIRONMENT"] = "Production",
                };
                var log = Path.Combine(o.LogDirectory, $"soak-app-{i + 1}-{Environment.ProcessId}.log");
                apps.Add(await AppProcess.StartAsync(AppProcess.RunCommand(o.DevHostDll), root, environment, url, log, http, TimeSpan.FromSeconds(120)));
                Say($"instance {i + 1}: pid {apps[^1].Pid} at {url}, log {log}");
                urls.Add(url + "/");
            }

            // CM reports each delivered reply to the app; a reply whose report is in is not sent again by a retry.
            router.ReportTo = urls;

            result.Settings = $"BotRouter__AttemptTimeout={o.AttemptTimeout:c}, Processing__RetryDelayMax={o.RetryDelayMax:c} (default 00:05:00); stall rule: router quiet {StallWindow(o).TotalSeconds:F0} s and the inbound queue empty";
            var perChat = Math.Max(1, o.Messages / o.Chats);
            var templates = Templates(o, perChat);
            var references = await ReferencesAsync(templates);

            // The soak proper.
            var plan = new Random(o.Seed);
            var chats = Enumerable.Range(0, o.Chats).Select(i =>
            {
                var template = templates.Count > 1 && plan.NextDouble() < o.TakeOverShare ? 1 + plan.Next(templates.Count - 1) : 0;
                return new ChatRun(i, Guid.NewGuid().ToString(), "+3161" + (7_000_000 + i).ToString(CultureInfo.InvariantCulture), template, templates[template]);
            }).ToList();
            result.Sent = chats.Sum(c => c.Steps.Count(s => s.Kind == StepKind.Message));
            result.SentInAgentMode = chats.Sum(c => c.Steps.Count(s => s.Kind == StepKind.Message && s.AgentMode));
            router.FailRandomly(o.FailureRate, o.Seed, RouterFake.AllFaults);
            Say($"soak: {result.Sent} messages over {o.Chats} chats ({chats.Count(c => c.Template > 0)} with a take-over and a hand-back), {o.Instances} instance(s), router failure rate {o.FailureRate:P0}, duplicates {o.DuplicateRate:P0}");
            var disruptions = DisruptAsync(gates);
            await Task.WhenAll(chats.Select(RunChatAsync));
            Say($"all posted: {result.Acknowledged} of {result.Sent} acknowledged; waiting until quiet");
            await disruptions;
            // The inbound queue as it is, past the gate: what the stall rule looks at, even while storage is cut.
            inbound = new QueueClient($"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;QueueEndpoint=http://127.0.0.1:{ports.Queue}/devstoreaccount1;", StorageNames.InboundQueue);
            await WaitUntilDoneAsync(chats, references);
            router.FailRandomly(0, o.Seed, RouterFake.AllFaults);
            Account(chats, references);
            result.Seconds = clock.Elapsed.TotalSeconds;
            return result;
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync();
            }

            foreach (var gate in gates)
            {
                await gate.DisposeAsync();
            }

            await router.DisposeAsync();
        }
    }

    /// <summary>Each template once, through the same app without faults, one step at a time: the replies each step gets.</summary>
    private async Task<List<List<List<string>>>> ReferencesAsync(List<List<SoakStep>> templates)
    {
        var references = await Task.WhenAll(templates.Select(async (steps, t) =>
        {
            var chat = new ChatRun(-1, Guid.NewGuid().ToString(), "+3169" + (1_000_000 + t).ToString(CultureInfo.InvariantCulture), t, steps);
            var perStep = new List<List<string>>();
            foreach (var step in steps)
            {
                var before = RepliesOf(chat.Number).Count;
                var mutationsBefore = router.Delivered.Count(c => c.Key == chat.ChatId);
                var (status, _) = await PostAsync(apps[0].BaseUrl, chat, step, Body(chat, step));
                if (status is not (200 or 202))
                {
                    throw new InvalidOperationException($"reference: {step.Kind} '{step.Text}' answered {status}");
                }

                var watch = Stopwatch.StartNew();
                var settled = Stopwatch.StartNew();
                var seen = before;
                while (watch.Elapsed < TimeSpan.FromSeconds(30))
                {
                    await Task.Delay(100);
                    var now = RepliesOf(chat.Number).Count;
                    var mutations = router.Delivered.Count(c => c.Key == chat.ChatId);
                    if (now != seen)
                    {
                        seen = now;
                        settled.Restart();
                    }

                    var happened = step switch
                    {
                        { Kind: StepKind.Message, AgentMode: false } => now > before,
                        { Kind: StepKind.TakeOver or StepKind.HandBack } => mutations > mutationsBefore,
                        _ => true,
                    };
                    if (happened && settled.Elapsed > TimeSpan.FromMilliseconds(1200))
                    {
                        break;
                    }
                }

                var replies = RepliesOf(chat.Number).Skip(before).Select(r => r.Text).ToList();
                if (step is { Kind: StepKind.Message, AgentMode: false } && replies.Count == 0)
                {
                    throw new InvalidOperationException($"reference: '{step.Text}' (template {t}) got no reply within 30 s:\n{apps[0].Tail}");
                }

                perStep.Add(replies);
            }

            return perStep;
        }));
        for (var t = 0; t < templates.Count; t++)
        {
            Say($"reference {t}: " + string.Join(" / ", templates[t].Select((s, i) => $"{(s.Kind == StepKind.Message ? s.Text : s.Kind.ToString())}{(s.AgentMode ? " (agent)" : string.Empty)} → {references[t][i].Count}")));
        }

        return [.. references];
    }

    private List<Delivery> RepliesOf(string number) => router.Delivered.Where(c => c.Kind == "reply" && c.Key == number).OrderBy(c => c.Seq).ToList();

    private static string Body(ChatRun chat, SoakStep step) => step.Kind == StepKind.Message
        ? string.Concat(
        [
            "{\"from\":{\"number\":\"", chat.Number, "\",\"name\":null},\"to\":{\"number\":\"+3197010000000\",\"name\":null},\"message\":{\"text\":\"", step.Text,
            "\",\"media\":{\"mediaUri\":null,\"contentType\":null,\"title\":null},\"custom\":{}},\"reference\":\"", Guid.NewGuid().ToString(),
            "\",\"groupings\":[],\"timeUtc\":\"", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            "\",\"channel\":\"WhatsApp\",\"conversationalRouter\":{\"chatId\":\"", chat.ChatId, "\",\"accountId\":\"", AccountId, "\"}}",
        ])
        : step.Body ?? string.Empty;

    /// <summary>Posts until the app takes it (200 webhook, 202 operator), as CM retries a webhook it got no 200 for: 1 s apart, 3 minutes at most.</summary>
    private async Task<(int Status, int Attempts)> PostAsync(string url, ChatRun chat, SoakStep step, string body)
    {
        var path = step.Kind switch
        {
            StepKind.Message => "/api/webhook",
            StepKind.TakeOver => $"/api/chats/{chat.ChatId}/takeover",
            _ => $"/api/chats/{chat.ChatId}/handback",
        };
        var status = 0;

        // An operator command sent again (no 202: the worker was killed, storage was cut) carries the same key, so the
        // app stores it once (a customer message needs none: the app dedupes on the message itself).
        var idempotencyKey = step.Kind == StepKind.Message ? null : Guid.NewGuid().ToString();
        for (var attempt = 1; attempt <= 180; attempt++)
        {
            await senders.WaitAsync();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url + path)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                if (idempotencyKey is not null)
                {
                    request.Headers.Add("Idempotency-Key", idempotencyKey);
                }

                using var response = await http.SendAsync(request);
                status = (int)response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                status = -1;
            }
            finally
            {
                senders.Release();
            }

            lock (result)
            {
                result.WebhookPosts++;
                result.WebhookRetried += attempt > 1 ? 1 : 0;
            }

            result.WebhookStatuses.AddOrUpdate(status == -1 ? "no connection" : status.ToString(CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
            if (status is 200 or 202)
            {
                result.AcknowledgedByInstance.AddOrUpdate(apps.FindIndex(a => a.BaseUrl == url) + 1, 1, (_, n) => n + 1);
            }

            if (status is 200 or 202 || (status is >= 400 and < 500 and not 408 and not 429))
            {
                return (status, attempt);
            }

            await Task.Delay(1000);
        }

        return (status, 180);
    }

    private async Task RunChatAsync(ChatRun chat)
    {
        var random = new Random(o.Seed * 7919 + chat.Index);
        string Url() => apps[random.Next(apps.Count)].BaseUrl;
        foreach (var step in chat.Steps)
        {
            var body = Body(chat, step);
            var duplicate = step.Kind == StepKind.Message && random.NextDouble() < o.DuplicateRate;
            var concurrent = duplicate && random.Next(2) == 0;
            var first = PostAsync(Url(), chat, step, body);
            Task<(int Status, int Attempts)>? again = concurrent ? PostAsync(Url(), chat, step, body) : null;
            var (status, _) = await first;
            if (duplicate && !concurrent)
            {
                again = PostAsync(Url(), chat, step, body);
            }

            if (step.Kind != StepKind.Message)
            {
                lock (result)
                {
                    result.OperatorCommands++;
                }

                if (status != 202)
                {
                    result.Problems.Add($"chat {chat.ChatId}: {step.Kind} answered {status}");
                }

                continue;
            }

            if (status == 200)
            {
                Interlocked.Increment(ref acknowledgedMessages);
                lock (result)
                {
                    result.Acknowledged++;
                }
            }
            else
            {
                result.Problems.Add($"chat {chat.ChatId}: '{step.Text}' never acknowledged (last {status})");
            }

            if (again is not null)
            {
                var (dupStatus, _) = await again;
                lock (result)
                {
                    result.DuplicatesPosted++;
                    result.DuplicatesAcknowledged += dupStatus == 200 ? 1 : 0;
                }
            }
        }
    }

    private async Task DisruptAsync(SoakGate[] gates)
    {
        var total = result.Sent;
        if (o.Outage > TimeSpan.Zero)
        {
            while (Volatile.Read(ref acknowledgedMessages) < total / 2)
            {
                await Task.Delay(50);
            }

            Say($"storage outage: cutting storage for {o.Outage.TotalSeconds:F0} s at {Volatile.Read(ref acknowledgedMessages)} acknowledged");
            var at = clock.Elapsed;
            foreach (var gate in gates)
            {
                gate.Cut();
            }

            await Task.Delay(o.Outage);
            foreach (var gate in gates)
            {
                gate.Restore();
            }

            result.OutageRefused = gates.Sum(g => g.Refused);
            result.Outage = $"{o.Outage.TotalSeconds:F0} s from {at:mm\\:ss}";
            Say($"storage back; {result.OutageRefused} connections refused during the outage");
        }

        if (o.KillWorker)
        {
            while (Volatile.Read(ref acknowledgedMessages) < total * 7 / 10)
            {
                await Task.Delay(50);
            }

            var app = apps[0];
            var before = app.WorkerPids();
            var killed = app.KillWorker();
            Say($"worker kill: kill -9 {killed} (workers before: {string.Join(",", before)}) at {Volatile.Read(ref acknowledgedMessages)} acknowledged");
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(60) && !app.WorkerPids().Any(p => p != killed))
            {
                await Task.Delay(100);
            }

            var restarted = app.WorkerPids().FirstOrDefault(p => p != killed);
            result.WorkerKill = killed is null ? "no worker found" : restarted == 0 ? $"pid {killed} killed, NOT restarted within 60 s" : $"pid {killed} killed at {clock.Elapsed - watch.Elapsed:mm\\:ss}, restarted as {restarted} in {watch.Elapsed.TotalSeconds:F1} s";
            Say(result.WorkerKill);
        }
    }

    private async Task WaitUntilDoneAsync(List<ChatRun> chats, List<List<List<string>>> references)
    {
        var expected = chats.ToDictionary(c => c.Number, c => references[c.Template].Sum(r => r.Count));
        var expectedTotal = expected.Values.Sum();
        var rounds = 0;
        var lastReplay = TimeSpan.MinValue;
        var stall = StallWindow(o);
        var lastReport = Stopwatch.StartNew();
        while (clock.Elapsed < o.Cap)
        {
            await Task.Delay(500);
            var counts = router.Delivered.Where(c => c.Kind == "reply").GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Count());
            var complete = expected.All(kv => counts.GetValueOrDefault(kv.Key) >= kv.Value);
            var quiet = TimeSpan.FromMilliseconds(router.QuietMs);
            if (lastReport.Elapsed > TimeSpan.FromSeconds(10))
            {
                lastReport.Restart();
                Say($"  {expected.Sum(kv => Math.Min(kv.Value, counts.GetValueOrDefault(kv.Key)))} of {expectedTotal} expected replies in, {router.Calls.Count} router calls, quiet {quiet.TotalSeconds:F0} s");
            }

            if (complete && quiet > o.Quiet)
            {
                result.Ended = $"every expected reply in, router quiet {quiet.TotalSeconds:F0} s";
                break;
            }

            // After a replay, give the replayed work a full stall period before judging again.
            if (!complete && quiet > stall && (lastReplay == TimeSpan.MinValue || clock.Elapsed - lastReplay > stall))
            {
                // Chats waiting out a retry delay (or a failed attempt's visibility timeout) still have their signal in
                // the queue, invisible: the app is not stalled, it is waiting. Judge again once the queue is empty.
                if (await QueuedSignalsAsync() is > 0 and var queued)
                {
                    if (lastReport.Elapsed > TimeSpan.FromSeconds(5))
                    {
                        Say($"  router quiet {quiet.TotalSeconds:F0} s with replies missing, but {queued} signal(s) still queued (retry delays): waiting");
                    }

                    continue;
                }

                var poisoned = await PoisonAsync();
                Say($"  stalled with replies missing; {poisoned} poisoned message(s)");
                if (poisoned > 0 && o.ReplayPoison && rounds < 10)
                {
                    rounds++;
                    lastReplay = clock.Elapsed;
                    using var replay = await http.PostAsync(new Uri(apps[0].BaseUrl + "/api/poison/replay"), new StringContent("{}", Encoding.UTF8, "application/json"));
                    var body = JsonNode.Parse(await replay.Content.ReadAsStringAsync());
                    var n = body?["replayed"]?.GetValue<int>() ?? 0;
                    result.PoisonReplayed += n;
                    Say($"  replay round {rounds}: {n} poisoned message(s) replayed, as an operator would (POST /api/poison/replay)");
                    continue;
                }

                result.Ended = $"stalled: replies missing, router quiet {quiet.TotalSeconds:F0} s, {poisoned} poisoned";
                break;
            }
        }

        if (result.Ended.Length == 0)
        {
            result.Ended = $"time cap {o.Cap.TotalMinutes:F1} min reached with {router.QuietMs / 1000} s of router quiet (still working)";
        }

        result.PoisonedAtEnd = await PoisonAsync();
    }

    /// <summary>The stall window: never shorter than the app's longest retry delay, plus its polling and a margin.</summary>
    public static TimeSpan StallWindow(SoakOptions o) => o.Stall > o.RetryDelayMax + TimeSpan.FromSeconds(5) ? o.Stall : o.RetryDelayMax + TimeSpan.FromSeconds(5);

    /// <summary>Signals in the inbound queue, visible or not (Azure counts invisible messages too); -1 when unknown.</summary>
    private async Task<int> QueuedSignalsAsync()
    {
        if (inbound is null)
        {
            return -1;
        }

        try
        {
            var properties = await inbound.GetPropertiesAsync();
            return properties.Value.ApproximateMessagesCount;
        }
        catch (global::Azure.RequestFailedException)
        {
            return -1;
        }
    }

    private async Task<int> PoisonAsync()
    {
        try
        {
            var body = JsonNode.Parse(await http.GetStringAsync(new Uri(apps[0].BaseUrl + "/api/poison")));
            return body?["messages"]?.AsArray().Count ?? 0;
        }
        catch (HttpRequestException)
        {
            return -1;
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
        {
            Say($"  GET /api/poison did not answer within {http.Timeout.TotalSeconds:F0} s");
            return -1;
        }
    }

    private void Account(List<ChatRun> chats, List<List<List<string>>> references)
    {
        var delivered = router.Delivered.OrderBy(c => c.Seq).ToList();
        result.RouterCalls = router.Calls.Count;
        result.Injected = new Dictionary<string, long>(router.Injected);
        result.StatusReports = (router.ReportsPosted, router.ReportAttemptsRefused);
        var replies = delivered.Where(c => c.Kind == "reply").ToList();
        result.RepliesDelivered = replies.Count;
        result.DuplicatedByReference = replies.Count - replies.Select(r => r.Reference).Distinct().Count();
        foreach (var dup in replies.GroupBy(r => r.Reference).Where(g => g.Count() > 1).Take(5))
        {
            result.Problems.Add($"reference {dup.Key} sent {dup.Count()} times to {dup.First().Key}: '{dup.First().Text}'");
        }

        var byNumber = replies.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.ToList());
        var byChat = delivered.Where(c => c.Kind is "enable" or "disable").GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var chat in chats)
        {
            var actual = byNumber.GetValueOrDefault(chat.Number) ?? [];
            var reference = references[chat.Template];
            // A reply sent again with the same reference is counted above; the sequence check looks at each reply once.
            var texts = actual.DistinctBy(a => a.Reference).Select(a => a.Text).ToList();
            var p = 0;
            var differs = false;
            for (var i = 0; i < chat.Steps.Count; i++)
            {
                var want = reference[i];
                var isCustomer = chat.Steps[i] is { Kind: StepKind.Message, AgentMode: false };
                if (want.Count == 0)
                {
                    continue;
                }

                if (Matches(texts, p, want))
                {
                    p += want.Count;
                    result.Answered += isCustomer ? 1 : 0;
                    // A repeat is a duplicate only when no later step's replies would explain it (after a loss, a later step may answer the same text).
                    while (Matches(texts, p, want) && !reference.Skip(i + 1).Any(r => r.Count > 0 && Matches(texts, p, r)))
                    {
                        p += want.Count;
                        result.DuplicatedBySequence++;
                        differs = true;
                    }
                }
                else
                {
                    differs = true;
                    result.Lost += isCustomer ? 1 : 0;
                }
            }

            if (p < texts.Count)
            {
                differs = true;
                result.Unexpected += texts.Count - p;
            }

            if (differs)
            {
                result.ChatsDiffering++;
                if (result.ChatsDiffering <= 5)
                {
                    result.Problems.Add($"chat {chat.ChatId} ({chat.Number}, template {chat.Template}) got [{string.Join(" | ", texts)}], reference [{string.Join(" | ", reference.SelectMany(r => r))}]");
                }
            }

            // Replies the fake accepted after it accepted the chat's disable mutation and before the next enable.
            var timeline = (byChat.GetValueOrDefault(chat.ChatId) ?? []).Concat(actual).OrderBy(c => c.Seq);
            var agent = false;
            foreach (var call in timeline)
            {
                switch (call.Kind)
                {
                    case "disable":
                        agent = true;
                        break;
                    case "enable":
                        agent = false;
                        break;
                    default:
                        if (agent)
                        {
                            result.RepliesInAgentMode++;
                            result.Problems.Add($"chat {chat.ChatId}: bot reply '{call.Text}' while an agent owned the chat");
                        }

                        break;
                }
            }
        }
    }

    private static bool Matches(List<string> texts, int at, List<string> want) =>
        at + want.Count <= texts.Count && want.Select((w, k) => texts[at + k] == w).All(b => b);

}
