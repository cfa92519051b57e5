using System.Text;
using System.Text.Json.Nodes;
using BotRouter.DevHost;
using BotRouter.Testing;

namespace BotRouter.IntegrationTests.Infrastructure;

/// <summary>
/// What the crash tests of the run command share: the run command's own Azurite service (on free ports, data in a
/// temporary directory instead of the user's <c>.azurite/</c>), the app on a free port, no simulator, and a router
/// fake in the test process so the sends of every run are seen in one place.
/// </summary>
public sealed class DevHostRig : IAsyncDisposable
{
    public const string AccountId = "e17acdef-c918-423d-a01b-1000cd084f6a";
    private readonly List<DevHostProcess> runs = [];

    private DevHostRig(RouterFake router)
    {
        Router = router;
        AzuritePorts = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        AppUrl = $"http://127.0.0.1:{FreePorts.Next()}";
        AzuriteLocation = Path.Combine(Path.GetTempPath(), $"devhost-azurite-{Guid.NewGuid():N}");
    }

    public RouterFake Router { get; }

    public (int Blob, int Queue, int Table) AzuritePorts { get; set; }

    public string AppUrl { get; }

    public string AzuriteLocation { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The first flow's first step: what the bot answers a chat's first message with.</summary>
    public static string Greeting =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "src", "BotRouter.Core", "Flows", "default-flows.json")))!["flows"]![0]!["steps"]![0]!["prompt"]!.GetValue<string>();

    public static async Task<DevHostRig> StartAsync() => new(await RouterFake.StartAsync());

    public Dictionary<string, string> Environment() => new()
    {
        ["AzureWebJobsStorage"] = AzuriteFixture.ConnectionStringFor(AzuritePorts),
        ["DevHost__AzuriteLocation"] = AzuriteLocation,
        ["DevHost__Urls"] = AppUrl,
        ["DevHost__Simulator"] = "false",
        ["BotRouter__BaseUrl"] = Router.BaseUrl,
        ["BotRouter__AccountId"] = AccountId,
        ["BotRouter__ProductToken"] = "crash-test-token",
    };

    /// <summary>Starts the run command (its own process group) and waits until the app is healthy.</summary>
    public async Task<DevHostProcess> RunAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        environment ??= Environment();
        var run = DevHostProcess.Start(environment);
        runs.Add(run);
        await run.WaitHealthyAsync(environment["DevHost__Urls"], TimeSpan.FromSeconds(120));
        return run;
    }

    /// <summary>A CM MO webhook (the seed sample's shape) of one customer message.</summary>
    public static string Webhook(string chatId, string from, string text, string reference)
    {
        var body = JsonNode.Parse(BotRouter.Tests.Shared.SeedSamples.Webhook)!.AsObject();
        body["from"]!["number"] = from;
        body["message"]!["text"] = text;
        body["reference"] = reference;
        body["timeUtc"] = DateTimeOffset.UtcNow.ToString("O");
        body["conversationalRouter"]!["chatId"] = chatId;
        body["conversationalRouter"]!["accountId"] = AccountId;
        return body.ToJsonString();
    }

    public async Task<int> PostAsync(string webhook)
    {
        using var posted = await Http.PostAsync($"{AppUrl}/api/webhook", new StringContent(webhook, Encoding.UTF8, "application/json"));
        return (int)posted.StatusCode;
    }

    /// <summary>The reply texts the router accepted, per customer number, in the order it accepted them.</summary>
    public Dictionary<string, List<string>> Replies() =>
        Router.To("/bmproxy/")
            .Select(c => c.Json!["messages"]!["msg"]![0]!)
            .GroupBy(m => m["to"]![0]!["number"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.Select(m => m["body"]?["content"]?.ToString() ?? string.Empty).ToList());

    /// <summary>
    /// Per customer number, the replies in order with a resend of the very same reply (same <c>reference</c>)
    /// counted once: what a crash can cause after CM accepted a reply and before the app recorded it.
    /// </summary>
    public Dictionary<string, List<string>> DistinctReplies() =>
        Router.To("/bmproxy/")
            .Select(c => c.Json!["messages"]!["msg"]![0]!)
            .GroupBy(m => m["to"]![0]!["number"]!.GetValue<string>())
            .ToDictionary(
                g => g.Key,
                g => g.DistinctBy(m => m["reference"]?.ToString() ?? string.Empty).Select(m => m["body"]?["content"]?.ToString() ?? string.Empty).ToList());

    /// <summary>Every accepted send's <c>reference</c> (unique per reply).</summary>
    public IReadOnlyList<string> ReplyReferences() =>
        Router.To("/bmproxy/").Select(c => c.Json!["messages"]!["msg"]![0]!["reference"]?.ToString() ?? string.Empty).ToList();

    /// <summary>Waits until every number has at least <paramref name="expected"/> replies, then until the router has been quiet for a while (a duplicate would come late).</summary>
    public async Task WaitForRepliesAsync(IEnumerable<string> numbers, int expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (numbers.Any(n => Replies().GetValueOrDefault(n)?.Count < expected || !Replies().ContainsKey(n)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        var quiet = DateTime.UtcNow;
        var seen = Router.Calls.Count;
        while (DateTime.UtcNow - quiet < TimeSpan.FromSeconds(6))
        {
            await Task.Delay(250);
            if (Router.Calls.Count != seen)
            {
                seen = Router.Calls.Count;
                quiet = DateTime.UtcNow;
            }
        }
    }

    public string Describe(IEnumerable<string> numbers)
    {
        var replies = Replies();
        var lines = numbers.Select(n => $"  {n}: {replies.GetValueOrDefault(n)?.Count ?? 0} replies: {string.Join(" | ", replies.GetValueOrDefault(n) ?? [])}");
        return $"router calls: {Router.Calls.Count} ({Router.Calls.Count(c => c.Status != 200)} not 200)\n{string.Join('\n', lines)}";
    }

    public string Outputs() => string.Join('\n', runs.Select((r, i) => $"--- run {i + 1} (pid {r.Pid}) ---\n{r.Output}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var run in runs)
        {
            await run.DisposeAsync();
        }

        // Whatever a killed run left: the Azurite service of this test's data directory (never any other).
        if (AzuriteService.ReadRecord(AzuriteLocation) is { } record && AzuriteService.IsRunning(record))
        {
            DevHostProcess.Kill(record.Pid);
        }

        await Router.DisposeAsync();
        Http.Dispose();
        try
        {
            Directory.Delete(AzuriteLocation, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
