using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>
/// A minimal Azure Functions host for isolated-worker apps: runs the worker process, serves its
/// HTTP triggers and polls its queue triggers. Not a full host: authLevel is not enforced, only
/// HTTP and queue triggers and queue outputs are implemented.
/// </summary>
public sealed class LocalFunctionsHost : IAsyncDisposable
{
    private readonly LocalFunctionsHostOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly bool _ownsLoggerFactory;
    private readonly ILogger _logger;
    private readonly List<QueueTriggerListener> _queueListeners = [];
    private FunctionApp? _app;
    private WebApplication? _grpcApp;
    private WebApplication? _httpApp;
    private WorkerSupervisor? _supervisor;
    private HttpTriggerFrontEnd? _frontEnd;
    private int _state; // 0 new, 1 started, 2 stopped

    public LocalFunctionsHost(LocalFunctionsHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ownsLoggerFactory = options.LoggerFactory is null;
        _loggerFactory = options.LoggerFactory ?? LoggerFactory.Create(builder => builder
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            })
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning)
            .SetMinimumLevel(LogLevel.Information));
        _logger = _loggerFactory.CreateLogger("Functions.LocalHost");
    }

    /// <summary>Raised after each invocation (HTTP or queue), on a thread-pool thread.</summary>
    public event EventHandler<InvocationCompletedEventArgs>? InvocationCompleted;

    /// <summary>Base address of the HTTP triggers (e.g. http://127.0.0.1:7071/), set once started.</summary>
    public Uri? HttpBaseAddress { get; private set; }

    /// <summary>The loaded functions, set once started.</summary>
    public IReadOnlyList<FunctionDescriptor> Functions => _supervisor?.Functions ?? [];

    /// <summary>Launch-to-all-functions-loaded time of the latest worker start.</summary>
    public TimeSpan WorkerStartupTime => _supervisor?.LastStartupTime ?? TimeSpan.Zero;

    /// <summary>How many times a worker process became ready (1 + restarts).</summary>
    public int WorkerStarts => _supervisor?.WorkerStarts ?? 0;

    public int? WorkerProcessId => _supervisor?.WorkerProcessId;

    /// <summary>host.json extensions.http.routePrefix ("api" by default; "" for none).</summary>
    public string RoutePrefix => _app?.RoutePrefix ?? "api";

    /// <summary>The effective host.json queue options.</summary>
    public QueueTriggerOptions? QueueOptions { get; private set; }

    /// <summary>The effective host.json functionTimeout (null: none), set once started.</summary>
    public TimeSpan? FunctionTimeout { get; private set; }

    /// <summary>For tests: when the listener of a queue polls next if nothing wakes it (null while it is not waiting).</summary>
    internal DateTimeOffset? QueueSleepingUntil(string queueName) =>
        _queueListeners.FirstOrDefault(l => string.Equals(l.QueueName, queueName, StringComparison.OrdinalIgnoreCase))?.SleepingUntil;

    /// <summary>Highest number of concurrent invocations seen per queue (queue name → count).</summary>
    public IReadOnlyDictionary<string, int> QueuePeakConcurrency =>
        _queueListeners.ToDictionary(l => l.QueueName, l => l.PeakConcurrency, StringComparer.OrdinalIgnoreCase);

    /// <summary>Messages being processed right now per queue (queue name → count).</summary>
    public IReadOnlyDictionary<string, int> QueueInFlight =>
        _queueListeners.ToDictionary(l => l.QueueName, l => l.InFlight, StringComparer.OrdinalIgnoreCase);

    private void OnInvocationCompleted(InvocationCompletedEventArgs args)
    {
        try
        {
            InvocationCompleted?.Invoke(this, args);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A subscriber's bug must not fail the invocation's bookkeeping.
            Log.ObserverFailed(_logger, ex);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("A LocalFunctionsHost can be started once.");
        }

        _app = FunctionApp.Load(_options.AppDirectory, _options.Environment);
        // host.json values the real host rejects stop start-up here, before a worker is launched.
        QueueOptions = QueueTriggerOptions.FromHostJson(_app.HostJson);
        FunctionTimeout = FunctionTimeouts.FromHostJson(_app.HostJson);
        var registry = new WorkerRegistry();

        _grpcApp = BuildGrpcServer(registry);
        await _grpcApp.StartAsync(cancellationToken);
        var grpcUri = new Uri(GetAddress(_grpcApp));

        _supervisor = new WorkerSupervisor(_app, _options, registry, _loggerFactory);
        await _supervisor.StartAsync(grpcUri, cancellationToken);

        var queues = new QueueClientFactory(_app);
        var watcher = new QueueWatcher();
        var outputs = new OutputBindings(queues, QueueOptions, watcher, _loggerFactory.CreateLogger("Functions.LocalHost.Outputs"));
        _frontEnd = new HttpTriggerFrontEnd(_supervisor, outputs, FunctionTimeout, OnInvocationCompleted, _loggerFactory.CreateLogger("Functions.LocalHost.Http"));
        _httpApp = BuildHttpServer(_frontEnd, _app, out var routes);
        await _httpApp.StartAsync(cancellationToken);
        HttpBaseAddress = new Uri(GetAddress(_httpApp) + "/");

        foreach (var route in routes)
        {
            Log.HttpRoute(_logger, route, HttpBaseAddress);
        }

        if (routes.Count > 0)
        {
            Log.AuthNotEnforced(_logger);
        }

        foreach (var function in Functions)
        {
            if (function.Trigger is { } trigger && string.Equals(trigger.Type, "queueTrigger", StringComparison.OrdinalIgnoreCase))
            {
                if (!_options.EnableQueueTriggers)
                {
                    continue;
                }

                QueueTriggerListener? listener = null;
                try
                {
                    // The constructor resolves %Setting% queue names: an unset one is a misconfigured function too.
                    listener = new QueueTriggerListener(function, QueueOptions, FunctionTimeout, queues, watcher, _supervisor, outputs, OnInvocationCompleted, _loggerFactory.CreateLogger("Functions.LocalHost.Queues"));
                    await listener.StartAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or FormatException or ArgumentException or Azure.RequestFailedException or HttpRequestException)
                {
                    // Like the real host: one misconfigured function is reported and skipped, the rest run.
                    Log.QueueListenerFailed(_logger, function.Name, ex);
                    if (listener is not null)
                    {
                        await listener.DisposeAsync();
                    }

                    continue;
                }

                _queueListeners.Add(listener);
                Log.QueueListening(_logger, function.Name, listener.QueueName);
            }
            else if (function.Trigger is { } other && !string.Equals(other.Type, "httpTrigger", StringComparison.OrdinalIgnoreCase))
            {
                Log.TriggerUnsupported(_logger, function.Name, other.Type);
            }
        }

        Log.HostStarted(_logger, Functions.Count, _supervisor.LastStartupTime.TotalMilliseconds);
    }

    private WebApplication BuildGrpcServer(WorkerRegistry registry)
    {
        // An empty builder: no appsettings, no ASPNETCORE_* URLs, nothing from the caller's environment.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(_loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
            k.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddRouting();
        builder.Services.AddSingleton(registry);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = null;
            o.MaxSendMessageSize = null;
        });
        var app = builder.Build();
        app.MapGrpcService<FunctionRpcService>();
        return app;
    }

    private WebApplication BuildHttpServer(HttpTriggerFrontEnd frontEnd, FunctionApp app, out IReadOnlyList<string> routes)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(_loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        var address = IPAddress.Parse(_options.BindAddress);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            // HTTP/1.1 only: cleartext HTTP/2 needs prior knowledge, which browsers and curl do not use by default.
            k.Listen(address, _options.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);

            // The Functions host's default request size limit (100 MB).
            k.Limits.MaxRequestBodySize = 104_857_600;
        });
        builder.Services.AddRouting();
        var web = builder.Build();
        web.UseRouting();
        routes = frontEnd.MapRoutes(web, Functions, app.RoutePrefix);

        // A plain handler in the same server: the baseline when measuring the host's overhead.
        web.MapGet("/admin/host/status", (RequestDelegate)(context => context.Response.WriteAsJsonAsync(new HostStatus(
            WorkerProcessId is null ? "WorkerDown" : "Running",
            WorkerProcessId,
            WorkerStarts,
            Functions.Select(f => f.Name).ToArray()))));
        return web;
    }

    private static string GetAddress(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

    /// <summary>Kills the worker process (to exercise the restart path from tests).</summary>
    public void KillWorker() => _supervisor?.KillWorkerForTesting();

    /// <summary>Waits until a worker other than the given process id has finished its handshake.</summary>
    public async Task<int> WaitForWorkerAsync(int? notProcessId, CancellationToken cancellationToken)
    {
        var supervisor = _supervisor ?? throw new InvalidOperationException("Not started.");
        while (true)
        {
            await supervisor.GetReadyWorkerAsync(cancellationToken);
            if (supervisor.WorkerProcessId is { } pid && pid != notProcessId)
            {
                return pid;
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>
    /// Stops taking new work, lets in-flight invocations finish (up to ShutdownTimeout; unfinished
    /// queue messages are made visible again), then terminates the worker.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        Log.HostStopping(_logger);
        var grace = _options.ShutdownTimeout;
        var queueStops = _queueListeners.Select(l => l.StopAsync(grace)).ToList();
        if (_httpApp is not null)
        {
            // Kestrel stops accepting and waits for in-flight requests until the token fires.
            using var httpGrace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            httpGrace.CancelAfter(grace);
            await _httpApp.StopAsync(httpGrace.Token);
        }

        await Task.WhenAll(queueStops);
        if (_supervisor is not null)
        {
            await _supervisor.StopAsync(TimeSpan.FromSeconds(5));
        }

        if (_grpcApp is not null)
        {
            using var grpcGrace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _grpcApp.StopAsync(grpcGrace.Token);
        }

        Log.HostStopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var listener in _queueListeners)
        {
            await listener.DisposeAsync();
        }

        if (_supervisor is not null)
        {
            await _supervisor.DisposeAsync();
        }

        if (_httpApp is not null)
        {
            await _httpApp.DisposeAsync();
        }

        if (_grpcApp is not null)
        {
            await _grpcApp.DisposeAsync();
        }

        _frontEnd?.Dispose();
        if (_ownsLoggerFactory)
        {
            _loggerFactory.Dispose();
        }
    }

    private sealed record HostStatus(string State, int? WorkerProcessId, int WorkerStarts, string[] Functions);
}
