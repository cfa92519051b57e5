using System.Collections.Concurrent;
using System.Net;

namespace BotRouter.Benchmarks;

/// <summary>
/// A counting forwarder in front of Azurite: three loopback ports (blob, queue, table) that pass every request
/// through unchanged (Shared Key signs path and headers, not the host) and count it by kind, from the method,
/// path and query, plus the error statuses (409/412 are the ETag and insert conflicts).
/// </summary>
public sealed class StorageProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Transfer-Encoding", "Keep-Alive", "Proxy-Connection", "Upgrade", "Content-Length",
    };

    private readonly List<WebApplication> apps = [];
    private readonly HttpClient forward = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = int.MaxValue,

        // Node closes idle keep-alive connections after 5 s; reusing one at that moment resets it.
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(3),
    });

    private readonly ConcurrentDictionary<string, long> counts = new();
    private int errorsShown;

    public (int Blob, int Queue, int Table) Ports { get; private set; }

    public static async Task<StorageProxy> StartAsync((int Blob, int Queue, int Table) target, Func<int> freePort)
    {
        var proxy = new StorageProxy();
        var ports = (Blob: freePort(), Queue: freePort(), Table: freePort());
        await proxy.StartOneAsync(ports.Blob, target.Blob, "blob");
        await proxy.StartOneAsync(ports.Queue, target.Queue, "queue");
        await proxy.StartOneAsync(ports.Table, target.Table, "table");
        proxy.Ports = ports;
        return proxy;
    }

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(counts);

    public static Dictionary<string, long> Delta(IReadOnlyDictionary<string, long> after, IReadOnlyDictionary<string, long> before) =>
        after.Select(kv => (kv.Key, Value: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(kv => kv.Value != 0)
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    private async Task StartOneAsync(int port, int targetPort, string service)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(async context =>
        {
            try
            {
                await ForwardAsync(context, targetPort, service);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException or FormatException)
            {
                counts.AddOrUpdate("proxy error", 1, (_, n) => n + 1);
                if (Interlocked.Increment(ref errorsShown) <= 3)
                {
                    await Console.Error.WriteLineAsync($"proxy: {context.Request.Method} {context.Request.Path}: {e}");
                }

                throw;
            }
        });
        await app.StartAsync();
        apps.Add(app);
    }

    private async Task ForwardAsync(HttpContext context, int targetPort, string service)
    {
        var request = context.Request;
        var uri = new Uri($"http://127.0.0.1:{targetPort}{request.Path}{request.QueryString}");
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), uri);
        var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        if (body.Length > 0 || request.ContentLength is not null || request.ContentType is not null)
        {
            message.Content = new ByteArrayContent(body.ToArray());
        }

        foreach (var header in request.Headers)
        {
            if (HopHeaders.Contains(header.Key))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value))
            {
                message.Content?.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value);
            }
        }

        using var response = await forward.SendAsync(message, HttpCompletionOption.ResponseContentRead);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var kind = Classify(service, request.Method, request.Path.Value ?? string.Empty, request.Query, bytes);
        counts.AddOrUpdate(kind, 1, (_, n) => n + 1);
        if ((int)response.StatusCode >= 400)
        {
            counts.AddOrUpdate($"status {(int)response.StatusCode} {kind}", 1, (_, n) => n + 1);
        }

        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopHeaders.Contains(header.Key))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        if (bytes.Length > 0 && context.Response.StatusCode is not (204 or 304))
        {
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes);
        }
    }

    /// <summary>The billed operation, named by service and kind (queue names kept: they tell the pipeline stages apart).</summary>
    internal static string Classify(string service, string method, string path, IQueryCollection query, byte[] responseBody)
    {
        // Path style: /devstoreaccount1/<resource>[/...]
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var resource = parts.Length > 1 ? parts[1] : string.Empty;
        switch (service)
        {
            case "queue":
            {
                var isMessages = parts.Length > 2 && parts[2] == "messages";
                if (!isMessages)
                {
                    return $"queue admin ({method})";
                }

                var messageId = parts.Length > 3;
                return method switch
                {
                    "POST" when query.TryGetValue("visibilitytimeout", out var v) => $"queue put {resource} (visibilitytimeout={v})",
                    "POST" => $"queue put {resource}",
                    "GET" when query.ContainsKey("peekonly") => $"queue peek {resource}",
                    "GET" => System.Text.Encoding.UTF8.GetString(responseBody).Contains("<QueueMessage>", StringComparison.Ordinal)
                        ? $"queue get {resource}"
                        : $"queue get empty {resource}",
                    "DELETE" when messageId => $"queue delete {resource}",
                    "PUT" when messageId => $"queue update {resource}",
                    _ => $"queue other ({method})",
                };
            }

            case "table":
                if (resource.StartsWith("$batch", StringComparison.Ordinal))
                {
                    return "table batch";
                }

                if (resource.StartsWith("Tables", StringComparison.Ordinal))
                {
                    return "table admin";
                }

                var pointed = resource.Contains("PartitionKey=", StringComparison.Ordinal);
                return method switch
                {
                    "GET" when pointed => "table point read",
                    "GET" => "table query",
                    "POST" => "table insert",
                    "PUT" => "table update (replace)",
                    "PATCH" or "MERGE" => "table update (merge)",
                    "DELETE" => "table delete",
                    _ => $"table other ({method})",
                };

            default:
                return parts.Length > 2 ? $"blob {method}" : $"blob admin ({method})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        forward.Dispose();
    }
}
