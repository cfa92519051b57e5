using System.Text.Json;
using Azure.Storage.Queues;
using BotRouter.Azure;
using BotRouter.Functions.Functions;
using Microsoft.AspNetCore.Mvc;

namespace BotRouter.DevHost;

/// <summary>
/// The app's functions without Azure Functions Core Tools: Kestrel on 127.0.0.1 serving the same routes
/// (prefix <c>api</c>) with the same function classes, and queue listeners with host.json's queue semantics.
/// </summary>
public static class DevHostApp
{
    public const string DefaultUrl = "http://127.0.0.1:7071";

    /// <summary>Local-only defaults, so a fresh clone runs without any settings; every one is overridable.</summary>
    public static readonly IReadOnlyDictionary<string, string?> LocalDefaults = new Dictionary<string, string?>
    {
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["BotRouter:AccountId"] = "00000000-0000-4000-8000-00000000d3e7",
        ["BotRouter:ProductToken"] = "00000000-0000-4000-8000-0000000070ce",
        ["DevHost:Urls"] = DefaultUrl,
    };

    public static WebApplication Build(IConfiguration configuration, IConfiguration hostJson)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddConfiguration(configuration);
        builder.WebHost.UseUrls(configuration["DevHost:Urls"] ?? DefaultUrl);
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.AddFilter("Azure.Core", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        builder.Services.AddBotRouter(builder.Configuration);
        builder.Services.AddScoped<Webhook>();
        builder.Services.AddScoped<ChatOperations>();
        builder.Services.AddScoped<Operations>();
        builder.Services.AddScoped<Processors>();

        var settings = QueueTriggerSettings.Read(hostJson);
        AddQueueTrigger(builder.Services, "InboundProcessor", StorageNames.InboundQueue, settings,
            (sp, message, ct) => sp.GetRequiredService<Processors>().Inbound(message, ct));
        AddQueueTrigger(builder.Services, "RouterCommandProcessor", StorageNames.RouterCommandsQueue, settings,
            (sp, message, ct) => sp.GetRequiredService<Processors>().RouterCommands(message, ct));

        var app = builder.Build();
        var prefix = "/" + (hostJson["extensions:http:routePrefix"] ?? "api").Trim('/');
        var api = app.MapGroup(prefix);
        api.MapPost("/webhook", (HttpRequest r, Webhook f, CancellationToken ct) => Run(f.Run(r, ct)));
        api.MapGet("/chats/{chatId}", (HttpRequest r, string chatId, ChatOperations f, CancellationToken ct) => Run(f.Get(r, chatId, ct)));
        api.MapPost("/chats/{chatId}/handover", (HttpRequest r, string chatId, ChatOperations f, CancellationToken ct) => Run(f.HandOver(r, chatId, ct)));
        api.MapPost("/chats/{chatId}/takeover", (HttpRequest r, string chatId, ChatOperations f, CancellationToken ct) => Run(f.TakeOver(r, chatId, ct)));
        api.MapPost("/chats/{chatId}/handback", (HttpRequest r, string chatId, ChatOperations f, CancellationToken ct) => Run(f.HandBack(r, chatId, ct)));
        api.MapPost("/chats/{chatId}/reset", (HttpRequest r, string chatId, ChatOperations f, CancellationToken ct) => Run(f.Reset(r, chatId, ct)));
        api.MapGet("/flows", (HttpRequest r, Operations f) => Run(Task.FromResult(f.Flows(r))));
        api.MapGet("/health", (HttpRequest r, Operations f, CancellationToken ct) => Run(f.Health(r, ct)));
        api.MapGet("/poison", (HttpRequest r, Operations f, CancellationToken ct) => Run(f.ListPoison(r, ct)));
        api.MapPost("/poison/replay", (HttpRequest r, Operations f, CancellationToken ct) => Run(f.ReplayPoison(r, ct)));
        return app;
    }

    /// <summary>Reads host.json (comments allowed) as configuration.</summary>
    public static IConfiguration ReadHostJson(string path) =>
        new ConfigurationBuilder().AddJsonFile(path, optional: false).Build();

    /// <summary><c>local.settings.json</c>'s <c>Values</c> (keys with <c>__</c>), as configuration keys.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> ReadLocalSettings(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!doc.RootElement.TryGetProperty("Values", out var values))
        {
            yield break;
        }

        foreach (var p in values.EnumerateObject())
        {
            yield return new(p.Name.Replace("__", ":", StringComparison.Ordinal), p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText());
        }
    }

    private static async Task<IResult> Run(Task<IActionResult> function) =>
        await function as IResult ?? throw new InvalidOperationException("Functions must return a FunctionResult.");

    private static void AddQueueTrigger(
        IServiceCollection services,
        string name,
        string queueName,
        QueueTriggerSettings settings,
        Func<IServiceProvider, string, CancellationToken, Task> invoke) =>
        services.AddSingleton<IHostedService>(sp =>
        {
            var queues = sp.GetRequiredService<QueueServiceClient>();
            return new QueueTriggerListener(
                name,
                queues.GetQueueClient(queueName),
                queues.GetQueueClient(queueName + StorageNames.PoisonSuffix),
                settings,
                invoke,
                sp.GetRequiredService<IServiceScopeFactory>(),
                sp.GetRequiredService<ILogger<QueueTriggerListener>>());
        });
}
