using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Functions.LocalHost.Rpc;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>host.json <c>extensions.queues</c>, with the Storage extension's defaults.</summary>
public sealed record QueueTriggerOptions
{
    /// <summary>The queue service's upper limit for one receive call.</summary>
    public const int MaxBatchSize = 32;

    public int BatchSize { get; init; } = 16;

    public int NewBatchThreshold { get; init; } = 8;

    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Where the empty-queue back-off starts (the extension's minimum polling interval).</summary>
    public TimeSpan MinPollingInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.Zero;

    public int MaxDequeueCount { get; init; } = 5;

    /// <summary>true: base64 (the default); false: "none", the message text as it is.</summary>
    public bool Base64 { get; init; } = true;

    /// <summary>Reads host.json <c>extensions.queues</c>, applying the extension's defaults.</summary>
    public static QueueTriggerOptions FromHostJson(JsonObject hostJson)
    {
        var options = new QueueTriggerOptions();
        if (hostJson["extensions"]?["queues"] is not JsonObject queues)
        {
            return options;
        }

        var batchSize = Math.Clamp(GetInt(queues, "batchSize") ?? options.BatchSize, 1, MaxBatchSize);
        var maxPolling = GetTimeSpan(queues, "maxPollingInterval") ?? options.MaxPollingInterval;
        return options with
        {
            BatchSize = batchSize,
            NewBatchThreshold = Math.Max(0, GetInt(queues, "newBatchThreshold") ?? batchSize / 2),

            // Cap the back-off: a local host polling an empty queue once every 10 minutes would look dead.
            MaxPollingInterval = TimeSpan.FromTicks(Math.Clamp(maxPolling.Ticks, options.MinPollingInterval.Ticks, TimeSpan.FromMinutes(1).Ticks)),
            VisibilityTimeout = GetTimeSpan(queues, "visibilityTimeout") ?? options.VisibilityTimeout,
            MaxDequeueCount = Math.Max(1, GetInt(queues, "maxDequeueCount") ?? options.MaxDequeueCount),
            Base64 = !string.Equals(Get(queues, "messageEncoding")?.ToString(), "none", StringComparison.OrdinalIgnoreCase),
        };
    }

    private static JsonNode? Get(JsonObject o, string name) =>
        o.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static int? GetInt(JsonObject o, string name) => Get(o, name) switch
    {
        JsonValue v when v.TryGetValue(out int i) => i,
        JsonValue v when v.TryGetValue(out string? s) && int.TryParse(s, CultureInfo.InvariantCulture, out var i) => i,
        _ => null,
    };

    private static TimeSpan? GetTimeSpan(JsonObject o, string name) => Get(o, name) switch
    {
        JsonValue v when v.TryGetValue(out string? s) && TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t) => t,

        // A bare number is milliseconds, as the extension binds it.
        JsonValue v when v.TryGetValue(out double ms) => TimeSpan.FromMilliseconds(ms),
        _ => null,
    };

    internal string Encode(BinaryData payload) => Base64 ? Convert.ToBase64String(payload.ToMemory().Span) : payload.ToString();

    internal bool TryDecode(string messageText, out string text, out byte[] bytes)
    {
        if (!Base64)
        {
            text = messageText;
            bytes = Encoding.UTF8.GetBytes(messageText);
            return true;
        }

        try
        {
            bytes = Convert.FromBase64String(messageText);
            text = Encoding.UTF8.GetString(bytes);
            return true;
        }
        catch (FormatException)
        {
            text = messageText;
            bytes = [];
            return false;
        }
    }
}

/// <summary>Creates (and caches) queue clients from app settings named by a binding's <c>connection</c>.</summary>
internal sealed class QueueClientFactory(FunctionApp app)
{
    private readonly ConcurrentDictionary<(string Connection, string Queue), Lazy<Task<QueueClient>>> _clients = new();

    public Task<QueueClient> GetAsync(string? connectionName, string queueName, CancellationToken cancellationToken)
    {
        var key = (connectionName ?? string.Empty, queueName);
        var entry = _clients.GetOrAdd(key, k => new Lazy<Task<QueueClient>>(() => CreateAsync(k.Item1, k.Item2)));
        if (entry.IsValueCreated && entry.Value.IsFaulted)
        {
            // Do not cache failures (e.g. storage not up yet): the next call tries again.
            _clients.TryRemove(new KeyValuePair<(string, string), Lazy<Task<QueueClient>>>(key, entry));
            entry = _clients.GetOrAdd(key, k => new Lazy<Task<QueueClient>>(() => CreateAsync(k.Item1, k.Item2)));
        }

        return entry.Value.WaitAsync(cancellationToken);
    }

    private async Task<QueueClient> CreateAsync(string connectionName, string queueName)
    {
        var client = new QueueClient(ResolveConnectionString(connectionName), queueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

        // Create the queue if missing, as the Storage extension does for triggers and outputs.
        await client.CreateIfNotExistsAsync();
        return client;
    }

    private string ResolveConnectionString(string connectionName)
    {
        var name = string.IsNullOrEmpty(connectionName) ? "AzureWebJobsStorage" : connectionName;

        // The real host also accepts the name without/with the AzureWebJobs prefix.
        var value = app.GetSetting(name) ?? app.GetSetting("AzureWebJobs" + name) ?? app.GetSetting($"ConnectionStrings:{name}");
        if (string.IsNullOrEmpty(value))
        {
            if (app.GetSetting($"{name}__queueServiceUri") is not null || app.GetSetting($"{name}__serviceUri") is not null)
            {
                throw new NotSupportedException($"Identity-based connection '{name}' is not supported by the local host; set a connection string in '{name}'.");
            }

            throw new InvalidOperationException($"App setting '{name}' (queue connection) is not set.");
        }

        return value;
    }

    /// <summary>Drops a cached client (e.g. after the queue was deleted) so the next use recreates it.</summary>
    public void Forget(string? connectionName, string queueName) => _clients.TryRemove((connectionName ?? string.Empty, queueName), out _);
}

/// <summary>Applies a successful invocation's output bindings this host implements (queue).</summary>
internal sealed class OutputBindings(QueueClientFactory queues, QueueTriggerOptions queueOptions, ILogger logger)
{
    private readonly ConcurrentDictionary<string, bool> _warned = new(StringComparer.OrdinalIgnoreCase);

    public async Task ApplyAsync(FunctionDescriptor function, InvocationResponse response, CancellationToken cancellationToken)
    {
        foreach (var binding in function.Bindings.Where(b => b.IsOutput))
        {
            if (string.Equals(binding.Type, "http", StringComparison.OrdinalIgnoreCase))
            {
                // With the ASP.NET Core integration the worker writes the HTTP response itself.
                continue;
            }

            var data = binding.Name == "$return"
                ? response.ReturnValue
                : response.OutputData.FirstOrDefault(o => o.Name == binding.Name)?.Data;
            if (data is null || data.DataCase == TypedData.DataOneofCase.None)
            {
                continue;
            }

            if (!string.Equals(binding.Type, "queue", StringComparison.OrdinalIgnoreCase))
            {
                if (_warned.TryAdd($"{function.Name}/{binding.Type}", true))
                {
                    Log.OutputBindingUnsupported(logger, function.Name, binding.Type);
                }

                continue;
            }

            var queueName = binding.GetString("queueName") ?? throw new InvalidOperationException($"Queue output of {function.Name} has no queueName.");
            var client = await queues.GetAsync(binding.GetString("connection"), queueName, cancellationToken);
            foreach (var payload in ToPayloads(data))
            {
                await client.SendMessageAsync(queueOptions.Encode(payload), cancellationToken);
            }
        }
    }

    private static IEnumerable<BinaryData> ToPayloads(TypedData data)
    {
        switch (data.DataCase)
        {
            case TypedData.DataOneofCase.String:
                yield return BinaryData.FromString(data.String);
                break;
            case TypedData.DataOneofCase.Bytes:
                yield return BinaryData.FromBytes(data.Bytes.ToByteArray());
                break;
            case TypedData.DataOneofCase.Stream:
                yield return BinaryData.FromBytes(data.Stream.ToByteArray());
                break;
            case TypedData.DataOneofCase.Int:
                yield return BinaryData.FromString(data.Int.ToString(CultureInfo.InvariantCulture));
                break;
            case TypedData.DataOneofCase.Double:
                yield return BinaryData.FromString(data.Double.ToString(CultureInfo.InvariantCulture));
                break;
            case TypedData.DataOneofCase.CollectionString:
                foreach (var s in data.CollectionString.String)
                {
                    yield return BinaryData.FromString(s);
                }

                break;
            case TypedData.DataOneofCase.CollectionBytes:
                foreach (var b in data.CollectionBytes.Bytes)
                {
                    yield return BinaryData.FromBytes(b.ToByteArray());
                }

                break;
            case TypedData.DataOneofCase.Json:
                // An array is several messages (IAsyncCollector / string[] semantics); a JSON string is its text.
                using (var document = JsonDocument.Parse(data.Json))
                {
                    var root = document.RootElement;
                    var elements = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root];
                    foreach (var element in elements)
                    {
                        yield return element.ValueKind == JsonValueKind.String
                            ? BinaryData.FromString(element.GetString()!)
                            : BinaryData.FromString(element.GetRawText());
                    }
                }

                break;
            default:
                throw new NotSupportedException($"Queue output of type {data.DataCase} is not supported.");
        }
    }
}
