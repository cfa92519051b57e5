using System.Text.Json;
using System.Text.Json.Nodes;
using Functions.LocalHost.Rpc;

namespace Functions.LocalHost;

/// <summary>What this host needs to know about the app folder, read once at start-up.</summary>
internal sealed class FunctionApp
{
    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    private FunctionApp(string directory, string executable, string workerPath, IReadOnlyList<string> workerArguments, bool workerIndexing, JsonObject hostJson, IReadOnlyDictionary<string, string> settings)
    {
        Directory = directory;
        Executable = executable;
        WorkerPath = workerPath;
        WorkerArguments = workerArguments;
        WorkerIndexing = workerIndexing;
        HostJson = hostJson;
        Settings = settings;
    }

    public string Directory { get; }

    public string Executable { get; }

    public string WorkerPath { get; }

    public IReadOnlyList<string> WorkerArguments { get; }

    public bool WorkerIndexing { get; }

    public JsonObject HostJson { get; }

    /// <summary>App settings: explicit options, then the process environment, then local.settings.json Values.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    public string RoutePrefix
    {
        get
        {
            // host.json: extensions.http.routePrefix, default "api"; "" means no prefix.
            var node = HostJson["extensions"]?["http"]?["routePrefix"];
            return node is JsonValue v && v.TryGetValue(out string? prefix) ? prefix.Trim('/') : "api";
        }
    }

    public string? GetSetting(string name) => Settings.TryGetValue(name, out var value) ? value : null;

    /// <summary>
    /// The app setting <c>AzureWebJobs.&lt;name&gt;.Disabled</c> (or <c>AzureWebJobs__&lt;name&gt;__Disabled</c>, the form an
    /// environment variable can take) is <c>true</c> or <c>1</c>: the host does not run the function's trigger,
    /// as the Functions host does.
    /// </summary>
    public bool IsDisabled(string functionName) =>
        new[] { $"AzureWebJobs.{functionName}.Disabled", $"AzureWebJobs__{functionName}__Disabled" }
            .Select(GetSetting)
            .Any(v => v is not null && (v.Trim() == "1" || (bool.TryParse(v.Trim(), out var disabled) && disabled)));

    public static FunctionApp Load(string directory, IDictionary<string, string> explicitSettings)
    {
        directory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Function app directory '{directory}' does not exist.");
        }

        var workerConfigPath = Path.Combine(directory, "worker.config.json");
        if (!File.Exists(workerConfigPath))
        {
            throw new FileNotFoundException("worker.config.json not found: is this the build output of an isolated-worker app?", workerConfigPath);
        }

        var workerConfig = ReadJson(workerConfigPath)["description"] as JsonObject
            ?? throw new InvalidDataException("worker.config.json has no 'description'.");
        var executable = (string?)workerConfig["defaultExecutablePath"] ?? "dotnet";
        var workerPath = (string?)workerConfig["defaultWorkerPath"]
            ?? throw new InvalidDataException("worker.config.json has no 'description.defaultWorkerPath'.");
        var arguments = workerConfig["arguments"] is JsonArray args
            ? args.Select(a => (string?)a).OfType<string>().ToList()
            : [];
        var indexing = workerConfig["workerIndexing"] is JsonValue idx &&
            (idx.TryGetValue(out bool b) ? b : string.Equals((string?)idx, "true", StringComparison.OrdinalIgnoreCase));

        // The real host substitutes these placeholders in worker.config.json paths.
        workerPath = workerPath.Replace("{WorkerRoot}", directory + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        if (!Path.IsPathRooted(workerPath))
        {
            workerPath = Path.Combine(directory, workerPath);
        }

        var hostJsonPath = Path.Combine(directory, "host.json");
        var hostJson = File.Exists(hostJsonPath) ? ReadJson(hostJsonPath) : [];

        return new FunctionApp(directory, executable, workerPath, arguments, indexing, hostJson, MergeSettings(directory, explicitSettings));
    }

    private static Dictionary<string, string> MergeSettings(string directory, IDictionary<string, string> explicitSettings)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        // local.settings.json is looked up in the app folder, then in the project folder the
        // build output usually sits three levels below (bin/<config>/<tfm>).
        foreach (var candidate in LocalSettingsCandidates(directory))
        {
            if (!File.Exists(candidate))
            {
                continue;
            }

            if (ReadJson(candidate)["Values"] is JsonObject values)
            {
                foreach (var (key, value) in values)
                {
                    if (value is not null)
                    {
                        settings[key] = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
                    }
                }
            }

            break;
        }

        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            settings[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        foreach (var (key, value) in explicitSettings)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static IEnumerable<string> LocalSettingsCandidates(string directory)
    {
        yield return Path.Combine(directory, "local.settings.json");
        var projectDir = System.IO.Directory.GetParent(directory)?.Parent?.Parent?.FullName;
        if (projectDir is not null)
        {
            yield return Path.Combine(projectDir, "local.settings.json");
        }
    }

    private static JsonObject ReadJson(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonNode.Parse(stream, documentOptions: JsonOptions) as JsonObject
            ?? throw new InvalidDataException($"'{path}' is not a JSON object.");
    }

    /// <summary>Reads functions.metadata (used when the worker does not index its own functions).</summary>
    public IReadOnlyList<RpcFunctionMetadata> ReadFunctionsMetadataFile()
    {
        var path = Path.Combine(Directory, "functions.metadata");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException("functions.metadata not found and the worker did not index its functions.", path);
        }

        using var stream = File.OpenRead(path);
        var array = JsonNode.Parse(stream, documentOptions: JsonOptions) as JsonArray
            ?? throw new InvalidDataException("functions.metadata is not a JSON array.");
        var result = new List<RpcFunctionMetadata>();
        foreach (var item in array.OfType<JsonObject>())
        {
            var metadata = new RpcFunctionMetadata
            {
                Name = (string?)item["name"] ?? string.Empty,
                ScriptFile = (string?)item["scriptFile"] ?? string.Empty,
                EntryPoint = (string?)item["entryPoint"] ?? string.Empty,
                Language = (string?)item["language"] ?? "dotnet-isolated",
                Directory = Directory,
            };
            if (item["bindings"] is JsonArray bindings)
            {
                metadata.RawBindings.AddRange(bindings.OfType<JsonObject>().Select(b => b.ToJsonString()));
            }

            result.Add(metadata);
        }

        return result;
    }
}
