using System.Reflection;
using System.Text.Json;
using BotRouter.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace BotRouter.DevHost;

/// <summary>The dev host's settings: local defaults &lt; local.settings.json Values &lt; environment &lt; command line.</summary>
public static class DevSettings
{
    public const string DefaultAppUrl = "http://127.0.0.1:7071";
    public const string DefaultSimulatorUrl = "http://127.0.0.1:7072";

    /// <summary>Local-only defaults, so a fresh clone runs without any settings; every one is overridable.</summary>
    public static readonly IReadOnlyDictionary<string, string?> LocalDefaults = new Dictionary<string, string?>
    {
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["BotRouter:AccountId"] = "00000000-0000-4000-8000-00000000d3e7",
        ["BotRouter:ProductToken"] = "00000000-0000-4000-8000-0000000070ce",
        ["DevHost:Urls"] = DefaultAppUrl,
        ["Simulator:Urls"] = DefaultSimulatorUrl,
    };

    /// <summary>The setting sections the app reads; they are handed to the worker as environment variables.</summary>
    private static readonly string[] AppSections = ["AzureWebJobsStorage", "BotRouter", "Webhook", "Bot", "Telemetry", "APPLICATIONINSIGHTS_CONNECTION_STRING"];

    public static IConfigurationRoot Load(string root, string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(LocalDefaults)
            .AddInMemoryCollection(ReadLocalSettings(Path.Combine(root, "local.settings.json")))
            .AddInMemoryCollection(ReadLocalSettings(Path.Combine(root, "src", "BotRouter.Functions", "local.settings.json")))
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
        if (configuration.GetValue("DevHost:Simulator", true) && string.IsNullOrEmpty(configuration["BotRouter:BaseUrl"]))
        {
            configuration["BotRouter:BaseUrl"] = configuration["Simulator:Urls"]!.TrimEnd('/') + "/";
        }

        return configuration;
    }

    /// <summary>The same check the app runs at start-up, before anything is launched: one line per problem.</summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration)
    {
        var options = new BotRouterOptions();
        configuration.GetSection(BotRouterOptions.Section).Bind(options);
        var result = new BotRouterOptionsValidator().Validate(null, options);
        return result.Failed ? [.. result.Failures!] : [];
    }

    /// <summary>The app's settings as the worker's environment (<c>BotRouter:AccountId</c> → <c>BotRouter__AccountId</c>).</summary>
    public static IEnumerable<KeyValuePair<string, string>> WorkerEnvironment(IConfiguration configuration) =>
        AppSections
            .SelectMany(s => configuration.GetSection(s).AsEnumerable())
            .Where(kv => kv.Value is not null)
            .Select(kv => new KeyValuePair<string, string>(kv.Key.Replace(":", "__", StringComparison.Ordinal), kv.Value!));

    /// <summary>Azurite's data directory (<c>DevHost:AzuriteLocation</c>, relative to the repository root; default <c>.azurite</c>).</summary>
    public static string AzuriteLocation(IConfiguration configuration, string root) =>
        Path.GetFullPath(configuration["DevHost:AzuriteLocation"] is { Length: > 0 } location ? location : ".azurite", root);

    /// <summary>Where the Functions app was built, next to this dev host (same configuration).</summary>
    public static string FunctionsAppDirectory(IConfiguration configuration) =>
        configuration["DevHost:AppDirectory"]
        ?? typeof(DevSettings).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FunctionsAppDirectory").Value!;

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
}
