using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Tests;

/// <summary>Starts a LocalFunctionsHost on the test worker with queue names unique to one test.</summary>
internal sealed class HostHarness : IAsyncDisposable
{
    private HostHarness(LocalFunctionsHost host, string connectionString, string prefix, ILoggerFactory loggerFactory)
    {
        Host = host;
        ConnectionString = connectionString;
        WorkQueue = prefix + "-work";
        FailingQueue = prefix + "-failing";
        ProcessedQueue = prefix + "-processed";
        SdkQueue = prefix + "-sdk";
        MetadataQueue = prefix + "-metadata";
        LoggerFactory = loggerFactory;
    }

    public LocalFunctionsHost Host { get; }

    public string ConnectionString { get; }

    /// <summary>Host and worker log lines, for tests that wait on what the worker reported.</summary>
    public TestOutputLoggerProvider Logs { get; private init; } = null!;

    public string WorkQueue { get; }

    public string FailingQueue { get; }

    public string ProcessedQueue { get; }

    public string SdkQueue { get; }

    public string MetadataQueue { get; }

    /// <summary>Where the HTTP Enqueue functions write: the Record function's trigger queue unless a test says otherwise.</summary>
    public string OutboxQueue { get; private init; } = string.Empty;

    private string? CopiedAppDirectory { get; init; }

    private ILoggerFactory LoggerFactory { get; }

    /// <param name="hostJson">Changes the test worker's host.json: the app is then run from a copy of its build output.</param>
    /// <param name="outboxQueue">The queue the Enqueue functions write to (default: the work queue).</param>
    /// <param name="hostStorage">The host's AzureWebJobsStorage if not Azurite's own (e.g. through a proxy); the test's clients stay direct.</param>
    /// <param name="settings">More app settings for the host and the worker.</param>
    public static async Task<HostHarness> StartAsync(
        AzuriteFixture azurite,
        CancellationToken cancellationToken,
        TimeSpan? shutdownTimeout = null,
        Action<JsonObject>? hostJson = null,
        bool enableQueueTriggers = true,
        string? outboxQueue = null,
        string? hostStorage = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..12];
        var appDirectory = hostJson is null ? AzuriteFixture.TestWorkerDirectory : CopyApp(prefix, hostJson);
        var logs = new TestOutputLoggerProvider(TestContext.Current.TestOutputHelper);
        var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b
            .AddProvider(logs)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning)
            .SetMinimumLevel(LogLevel.Information));
        var options = new LocalFunctionsHostOptions
        {
            AppDirectory = appDirectory,
            EnableQueueTriggers = enableQueueTriggers,
            HttpPort = 0,
            LoggerFactory = loggerFactory,
            ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(15),
        };
        options.Environment["AzureWebJobsStorage"] = hostStorage ?? azurite.ConnectionString;
        options.Environment["WorkQueue"] = prefix + "-work";
        options.Environment["FailingQueue"] = prefix + "-failing";
        options.Environment["ProcessedQueue"] = prefix + "-processed";
        options.Environment["SdkQueue"] = prefix + "-sdk";
        options.Environment["MetadataQueue"] = prefix + "-metadata";
        outboxQueue ??= prefix + "-work";
        options.Environment["OutboxQueue"] = outboxQueue;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            options.Environment[key] = value;
        }

        var host = new LocalFunctionsHost(options);
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            await host.DisposeAsync();
            loggerFactory.Dispose();
            DeleteCopy(hostJson is null ? null : appDirectory);
            throw;
        }

        return new HostHarness(host, azurite.ConnectionString, prefix, loggerFactory)
        {
            Logs = logs,
            OutboxQueue = outboxQueue,
            CopiedAppDirectory = hostJson is null ? null : appDirectory,
        };
    }

    /// <summary>The test worker's build output in a temporary folder, with host.json changed (the worker reads it too).</summary>
    internal static string CopyApp(string name, Action<JsonObject> changeHostJson)
    {
        var source = AzuriteFixture.TestWorkerDirectory;
        var target = Path.Combine(Path.GetTempPath(), "localhost-tests", name);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        var hostJsonPath = Path.Combine(target, "host.json");
        var json = JsonNode.Parse(File.ReadAllText(hostJsonPath))!.AsObject();
        changeHostJson(json);
        File.WriteAllText(hostJsonPath, json.ToJsonString());
        return target;
    }

    internal static void DeleteCopy(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is under the temp folder.
        }
    }

    /// <summary>The messages currently in a queue (base64-decoded), without taking them.</summary>
    public async Task<List<string>> PeekAsync(string queue, CancellationToken cancellationToken)
    {
        var client = await QueueAsync(queue, cancellationToken);
        var peeked = (await client.PeekMessagesAsync(32, cancellationToken)).Value;
        return peeked.Select(m => Encoding.UTF8.GetString(Convert.FromBase64String(m.MessageText))).ToList();
    }

    private readonly Dictionary<string, QueueClient> clients = [];

    public async Task<QueueClient> QueueAsync(string name, CancellationToken cancellationToken)
    {
        QueueClient? client;
        lock (this.clients)
        {
            this.clients.TryGetValue(name, out client);
        }

        if (client is null)
        {
            client = new QueueClient(ConnectionString, name);
            await client.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            lock (this.clients)
            {
                this.clients[name] = client;
            }
        }

        return client;
    }

    /// <summary>Sends a message the way the Storage SDK/host expect by default (base64).</summary>
    public async Task<SendReceipt> SendAsync(string queue, string text, CancellationToken cancellationToken) =>
        (await (await QueueAsync(queue, cancellationToken)).SendMessageAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(text)), cancellationToken)).Value;

    /// <summary>Reads (and deletes) all messages currently in a queue, base64-decoded.</summary>
    public async Task<List<string>> DrainAsync(string queue, CancellationToken cancellationToken)
    {
        var client = await QueueAsync(queue, cancellationToken);
        var result = new List<string>();
        while (true)
        {
            QueueMessage[] batch = (await client.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1), cancellationToken)).Value;
            if (batch.Length == 0)
            {
                return result;
            }

            foreach (var message in batch)
            {
                result.Add(Encoding.UTF8.GetString(Convert.FromBase64String(message.MessageText)));
                await client.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            }
        }
    }

    public async Task<int> CountAsync(string queue, CancellationToken cancellationToken) =>
        (await (await QueueAsync(queue, cancellationToken)).GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        LoggerFactory.Dispose();
        DeleteCopy(CopiedAppDirectory);
    }
}

/// <summary>Polls until a condition holds (instead of sleeping and hoping).</summary>
internal static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = await probe();
        while (!done(last))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0}s waiting for {what}; last value: {last}");
            }

            await Task.Delay(50);
            last = await probe();
        }

        return last;
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        GetAsync(() => Task.FromResult(condition()), x => x, timeout, what);
}

/// <summary>Writes host and worker logs to the current test's output.</summary>
internal sealed class TestOutputLoggerProvider(ITestOutputHelper? output) : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> lines = new();

    public IReadOnlyCollection<string> Lines => this.lines;

    // Captured once: host threads (Kestrel, gRPC, pollers) do not flow the test's TestContext.
    public ILogger CreateLogger(string categoryName) => new TestOutputLogger(categoryName, output, this.lines);

    public void Dispose()
    {
    }

    private sealed class TestOutputLogger(string category, ITestOutputHelper? output, System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.Message)}";
            lines.Enqueue(line);
            if (output is null)
            {
                return;
            }

            try
            {
                output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // Logged after the test finished (background loops); nowhere to write.
            }
        }
    }
}
