using System.Text.Json;
using System.Text.Json.Nodes;
using Functions.LocalHost.Rpc;

namespace Functions.LocalHost;

/// <summary>One binding of a function, parsed from its raw JSON (as in functions.metadata).</summary>
public sealed partial class BindingDescriptor
{
    private readonly Func<string, string?> settings;

    internal BindingDescriptor(JsonObject raw, Func<string, string?> settings)
    {
        Raw = raw;
        this.settings = settings;
        Name = GetString("name") ?? string.Empty;
        Type = GetString("type") ?? string.Empty;
        Direction = (GetString("direction") ?? "in").ToUpperInvariant() switch
        {
            "OUT" => BindingInfo.Types.Direction.Out,
            "INOUT" => BindingInfo.Types.Direction.Inout,
            _ => BindingInfo.Types.Direction.In,
        };
        DataType = (GetString("dataType") ?? string.Empty).ToUpperInvariant() switch
        {
            "STRING" => BindingInfo.Types.DataType.String,
            "BINARY" => BindingInfo.Types.DataType.Binary,
            "STREAM" => BindingInfo.Types.DataType.Stream,
            _ => BindingInfo.Types.DataType.Undefined,
        };
    }

    public string Name { get; }

    public string Type { get; }

    internal BindingInfo.Types.Direction Direction { get; }

    internal BindingInfo.Types.DataType DataType { get; }

    internal JsonObject Raw { get; }

    public bool IsTrigger => Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase);

    public bool IsOutput => Direction != BindingInfo.Types.Direction.In;

    /// <summary>A binding property with <c>%AppSetting%</c> references resolved, as the real host does.</summary>
    public string? GetString(string property)
    {
        // Binding JSON property names are case-insensitive for the real host.
        foreach (var (key, value) in Raw)
        {
            if (string.Equals(key, property, StringComparison.OrdinalIgnoreCase) && value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                return ResolveSettings(v.GetValue<string>());
            }
        }

        return null;
    }

    private string ResolveSettings(string value) =>
        SettingReference().Replace(value, match => this.settings(match.Groups[1].Value)
            ?? throw new InvalidOperationException($"Binding '{Name}' refers to app setting '{match.Groups[1].Value}', which is not set."));

    [System.Text.RegularExpressions.GeneratedRegex("%([^%]+)%")]
    private static partial System.Text.RegularExpressions.Regex SettingReference();

    public IReadOnlyList<string> GetStrings(string property)
    {
        foreach (var (key, value) in Raw)
        {
            if (string.Equals(key, property, StringComparison.OrdinalIgnoreCase) && value is JsonArray array)
            {
                return array.Select(n => (string?)n).OfType<string>().ToList();
            }
        }

        return [];
    }

    /// <summary>The worker binds an SDK type (e.g. QueueMessage) and wants ModelBindingData, not the payload.</summary>
    internal bool SupportsDeferredBinding =>
        Properties.TryGetValue("SupportsDeferredBinding", out var value) && bool.TryParse(value, out var enabled) && enabled;

    /// <summary>"properties" bag (e.g. SupportsDeferredBinding) the worker attaches to a binding.</summary>
    internal IReadOnlyDictionary<string, string> Properties
    {
        get
        {
            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (Raw["properties"] is JsonObject props)
            {
                foreach (var (key, value) in props)
                {
                    if (value is not null)
                    {
                        result[key] = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
                    }
                }
            }

            return result;
        }
    }
}

/// <summary>A function as loaded into the worker.</summary>
public sealed class FunctionDescriptor
{
    internal FunctionDescriptor(RpcFunctionMetadata metadata, string appDirectory, Func<string, string?> settings)
    {
        Name = metadata.Name;
        Id = string.IsNullOrEmpty(metadata.FunctionId) ? Guid.NewGuid().ToString() : metadata.FunctionId;
        Bindings = metadata.RawBindings
            .Select(raw => JsonNode.Parse(raw) as JsonObject)
            .OfType<JsonObject>()
            .Select(o => new BindingDescriptor(o, settings))
            .ToList();
        Trigger = Bindings.FirstOrDefault(b => b.IsTrigger && !b.IsOutput);

        // The load request carries both the parsed binding map (what the dotnet worker reads)
        // and the raw bindings, like the real host's.
        LoadMetadata = metadata.Clone();
        LoadMetadata.FunctionId = Id;
        if (string.IsNullOrEmpty(LoadMetadata.Directory))
        {
            LoadMetadata.Directory = appDirectory;
        }

        LoadMetadata.Bindings.Clear();
        foreach (var binding in Bindings)
        {
            var info = new BindingInfo { Type = binding.Type, Direction = binding.Direction, DataType = binding.DataType };
            foreach (var (key, value) in binding.Properties)
            {
                info.Properties[key] = value;
            }

            LoadMetadata.Bindings[binding.Name] = info;
        }
    }

    public string Name { get; }

    public string Id { get; }

    public IReadOnlyList<BindingDescriptor> Bindings { get; }

    public BindingDescriptor? Trigger { get; }

    internal RpcFunctionMetadata LoadMetadata { get; }

    public override string ToString() => $"{Name} ({Trigger?.Type ?? "no trigger"})";
}
