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

    /// <summary>
    /// Reads host.json <c>extensions.queues</c>, applying the extension's defaults. Values the
    /// extension's QueuesOptions setters reject stop start-up here too (they used to be clamped
    /// silently, which hid a host.json that Azure would refuse).
    /// </summary>
    /// <exception cref="InvalidDataException">A value is out of the extension's range.</exception>
    public static QueueTriggerOptions FromHostJson(JsonObject hostJson)
    {
        ArgumentNullException.ThrowIfNull(hostJson);
        var options = new QueueTriggerOptions();
        if (hostJson["extensions"]?["queues"] is not JsonObject queues)
        {
            return options;
        }

        var batchSize = GetInt(queues, "batchSize") ?? options.BatchSize;
        if (batchSize < 1 || batchSize > MaxBatchSize)
        {
            // The extension throws a bare ArgumentOutOfRangeException (its message names only 'value').
            throw Invalid("batchSize", batchSize.ToString(CultureInfo.InvariantCulture), $"Specified argument was out of the range of valid values. (Parameter 'value'): BatchSize must be between 1 and {MaxBatchSize}.");
        }

        var newBatchThreshold = GetInt(queues, "newBatchThreshold") ?? batchSize / 2;
        if (newBatchThreshold < 0)
        {
            throw Invalid("newBatchThreshold", newBatchThreshold.ToString(CultureInfo.InvariantCulture), "Specified argument was out of the range of valid values. (Parameter 'value'): NewBatchThreshold must not be less than 0.");
        }

        var maxPolling = GetTimeSpan(queues, "maxPollingInterval") ?? options.MaxPollingInterval;
        if (maxPolling < options.MinPollingInterval)
        {
            throw Invalid("maxPollingInterval", maxPolling.ToString("c", CultureInfo.InvariantCulture), $"MaxPollingInterval must not be less than {options.MinPollingInterval:c}.");
        }

        var maxDequeueCount = GetInt(queues, "maxDequeueCount") ?? options.MaxDequeueCount;
        if (maxDequeueCount < 1)
        {
            throw Invalid("maxDequeueCount", maxDequeueCount.ToString(CultureInfo.InvariantCulture), "MaxDequeueCount must not be less than 1.");
        }

        return options with
        {
            BatchSize = batchSize,
            NewBatchThreshold = newBatchThreshold,

            // Cap the back-off: a local host polling an empty queue once every 10 minutes would look
            // dead for messages enqueued by others (same-host enqueues wake the listener anyway).
            MaxPollingInterval = TimeSpan.FromTicks(Math.Min(maxPolling.Ticks, TimeSpan.FromMinutes(1).Ticks)),
            VisibilityTimeout = GetTimeSpan(queues, "visibilityTimeout") ?? options.VisibilityTimeout,
            MaxDequeueCount = maxDequeueCount,
            Base64 = !string.Equals(Get(queues, "messageEncoding")?.ToString(), "none", StringComparison.OrdinalIgnoreCase),
        };
    }

    private static InvalidDataException Invalid(string property, string value, string hostMessage) =>
        new($"host.json extensions.queues.{property} = {value} is out of range; the Functions host stops start-up with: {hostMessage}");

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

/// <summary>Creates (and caches) queue clients from app settings named by a binding's <c>connection</c>; cached clients' queues exist.</summary>
internal sealed class QueueClientFactory(FunctionApp app)
{
    private readonly ConcurrentDictionary<(string Connection, string Queue), Lazy<Task<QueueClient>>> clients = new();

    public Task<QueueClient> GetAsync(string? connectionName, string queueName, CancellationToken cancellationToken)
    {
        var key = (connectionName ?? string.Empty, queueName);
        var entry = this.clients.GetOrAdd(key, k => new Lazy<Task<QueueClient>>(() => CreateAsync(k.Item1, k.Item2)));
        if (entry.IsValueCreated && entry.Value.IsFaulted)
        {
            // Do not cache failures (e.g. storage not up yet): the next call tries again.
            this.clients.TryRemove(new KeyValuePair<(string, string), Lazy<Task<QueueClient>>>(key, entry));
            entry = this.clients.GetOrAdd(key, k => new Lazy<Task<QueueClient>>(() => CreateAsync(k.Item1, k.Item2)));
        }

        return entry.Value.WaitAsync(cancellationToken);
    }

    private async Task<QueueClient> CreateAsync(string connectionName, string queueName)
    {
        var client = CreateClient(connectionName, queueName);

        // Create the queue if missing, as the Storage extension does for outputs and poison queues.
        await client.CreateIfNotExistsAsync();
        return client;
    }

    /// <summary>
    /// A client that does not create its queue: the Storage extension never creates a trigger's
    /// queue, its listener keeps polling until someone else does.
    /// </summary>
    public QueueClient CreateClient(string? connectionName, string queueName) =>
        new(ResolveConnectionString(connectionName ?? string.Empty), queueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

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
    public void Forget(string? connectionName, string queueName) => this.clients.TryRemove((connectionName ?? string.Empty, queueName), out _);
}
