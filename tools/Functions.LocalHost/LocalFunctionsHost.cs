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
    private readonly LocalFunctionsHostOptions options;
    private readonly ILoggerFactory loggerFactory;
    private readonly bool ownsLoggerFactory;
    private readonly ILogger logger;
    private readonly List<QueueTriggerListener> queueListeners = [];
    private FunctionApp? app;
    private WebApplication? grpcApp;
    private WebApplication? httpApp;
    private WorkerSupervisor? supervisor;
    private HttpTriggerFrontEnd? frontEnd;
    private int state; // 0 new, 1 started, 2 stopped

    public LocalFunctionsHost(LocalFunctionsHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        ownsLoggerFactory = options.LoggerFactory is null;
        loggerFactory = options.LoggerFactory ?? LoggerFactory.Create(builder => builder
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            })
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning)
            .SetMinimumLevel(LogLevel.Information));
        logger = loggerFactory.CreateLogger("Functions.LocalHost");
    }

    /// <summary>Raised after each invocation (HTTP or queue), on a thread-pool thread.</summary>
    public event EventHandler<InvocationCompletedEventArgs>? InvocationCompleted;

    /// <summary>Base address of the HTTP triggers (e.g. http://127.0.0.1:7071/), set once started.</summary>
    public Uri? HttpBaseAddress { get; private set; }

    /// <summary>The loaded functions, set once started.</summary>
    public IReadOnlyList<FunctionDescriptor> Functions => this.supervisor?.Functions ?? [];

    /// <summary>Launch-to-all-functions-loaded time of the latest worker start.</summary>
    public TimeSpan WorkerStartupTime => this.supervisor?.LastStartupTime ?? TimeSpan.Zero;

    /// <summary>How many times a worker process became ready (1 + restarts).</summary>
    public int WorkerStarts => this.supervisor?.WorkerStarts ?? 0;

    public int? WorkerProcessId => this.supervisor?.WorkerProcessId;

    /// <summary>host.json extensions.http.routePrefix ("api" by default; "" for none).</summary>
    public string RoutePrefix => this.app?.RoutePrefix ?? "api";

    /// <summary>The effective host.json queue options.</summary>
    public QueueTriggerOptions? QueueOptions { get; private set; }

    /// <summary>The effective host.json functionTimeout (null: none), set once started.</summary>
    public TimeSpan? FunctionTimeout { get; private set; }

    /// <summary>For tests: when the listener of a queue polls next if nothing wakes it (null while it is not waiting).</summary>
    internal DateTimeOffset? QueueSleepingUntil(string queueName) =>
        queueListeners.FirstOrDefault(l => string.Equals(l.QueueName, queueName, StringComparison.OrdinalIgnoreCase))?.SleepingUntil;

    /// <summary>Highest number of concurrent invocations seen per queue (queue name → count).</summary>
    public IReadOnlyDictionary<string, int> QueuePeakConcurrency =>
        queueListeners.ToDictionary(l => l.QueueName, l => l.PeakConcurrency, StringComparer.OrdinalIgnoreCase);

    /// <summary>Messages being processed right now per queue (queue name → count).</summary>
    public IReadOnlyDictionary<string, int> QueueInFlight =>
        queueListeners.ToDictionary(l => l.QueueName, l => l.InFlight, StringComparer.OrdinalIgnoreCase);

    private void OnInvocationCompleted(InvocationCompletedEventArgs args)
    {
        try
        {
            InvocationCompleted?.Invoke(this, args);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A subscriber's bug must not fail the invocation's bookkeeping.
            Log.ObserverFailed(logger, ex);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref state, 1, 0) != 0)
        {
            throw new InvalidOperationException("A LocalFunctionsHost can be started once.");
        }

        this.app = FunctionApp.Load(this.options.AppDirectory, this.options.Environment);
        // host.json values the real host rejects stop start-up here, before a worker is launched.
        QueueOptions = QueueTriggerOptions.FromHostJson(this.app.HostJson);
        FunctionTimeout = FunctionTimeouts.FromHostJson(this.app.HostJson);
        var registry = new WorkerRegistry();

        grpcApp = BuildGrpcServer(registry);
        await grpcApp.StartAsync(cancellationToken);
        var grpcUri = new Uri(GetAddress(grpcApp));

        this.supervisor = new WorkerSupervisor(this.app, this.options, registry, loggerFactory);
        await this.supervisor.StartAsync(grpcUri, cancellationToken);

        var queues = new QueueClientFactory(this.app);
        var watcher = new QueueWatcher();
        var outputs = new OutputBindings(queues, QueueOptions, watcher, loggerFactory.CreateLogger("Functions.LocalHost.Outputs"));
        this.frontEnd = new HttpTriggerFrontEnd(this.supervisor, outputs, FunctionTimeout, OnInvocationCompleted, loggerFactory.CreateLogger("Functions.LocalHost.Http"));
        var enabled = new List<FunctionDescriptor>();
        foreach (var function in Functions)
        {
            if (this.app.IsDisabled(function.Name))
            {
                Log.FunctionDisabled(logger, function.Name);
                continue;
            }

            enabled.Add(function);
        }

        httpApp = BuildHttpServer(this.frontEnd, this.app, enabled, out var routes);
        await httpApp.StartAsync(cancellationToken);
        HttpBaseAddress = new Uri(GetAddress(httpApp) + "/");

        foreach (var route in routes)
        {
            Log.HttpRoute(logger, route, HttpBaseAddress);
        }

        if (routes.Count > 0)
        {
            Log.AuthNotEnforced(logger);
        }

        foreach (var function in enabled)
        {
            if (function.Trigger is { } trigger && string.Equals(trigger.Type, "queueTrigger", StringComparison.OrdinalIgnoreCase))
            {
                if (!this.options.EnableQueueTriggers)
                {
                    continue;
                }

                QueueTriggerListener? listener = null;
                try
                {
                    // The constructor resolves %Setting% queue names: an unset one is a misconfigured function too.
                    listener = new QueueTriggerListener(function, QueueOptions, FunctionTimeout, queues, watcher, this.supervisor, outputs, OnInvocationCompleted, loggerFactory.CreateLogger("Functions.LocalHost.Queues"));
                    await listener.StartAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or FormatException or ArgumentException or Azure.RequestFailedException or HttpRequestException)
                {
                    // Like the real host: one misconfigured function is reported and skipped, the rest run.
                    Log.QueueListenerFailed(logger, function.Name, ex);
                    if (listener is not null)
                    {
                        await listener.DisposeAsync();
                    }

                    continue;
                }

                queueListeners.Add(listener);
                Log.QueueListening(logger, function.Name, listener.QueueName);
            }
            else if (function.Trigger is { } other && !string.Equals(other.Type, "httpTrigger", StringComparison.OrdinalIgnoreCase))
            {
                Log.TriggerUnsupported(logger, function.Name, other.Type);
            }
        }

        Log.HostStarted(logger, Functions.Count, this.supervisor.LastStartupTime.TotalMilliseconds);
    }

    private WebApplication BuildGrpcServer(WorkerRegistry registry)
    {
        // An empty builder: no appsettings, no ASPNETCORE_* URLs, nothing from the caller's environment.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
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

    private WebApplication BuildHttpServer(HttpTriggerFrontEnd frontEnd, FunctionApp app, IReadOnlyList<FunctionDescriptor> functions, out IReadOnlyList<string> routes)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        var address = IPAddress.Parse(this.options.BindAddress);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            // HTTP/1.1 only: cleartext HTTP/2 needs prior knowledge, which browsers and curl do not use by default.
            k.Listen(address, this.options.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);

            // The Functions host's default request size limit (100 MB).
            k.Limits.MaxRequestBodySize = 104_857_600;
        });
        builder.Services.AddRouting();
        var web = builder.Build();
        web.UseRouting();
        routes = frontEnd.MapRoutes(web, functions, app.RoutePrefix);

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
    public void KillWorker() => this.supervisor?.KillWorkerForTesting();

    /// <summary>Waits until a worker other than the given process id has finished its handshake.</summary>
    public async Task<int> WaitForWorkerAsync(int? notProcessId, CancellationToken cancellationToken)
    {
        var supervisor = this.supervisor ?? throw new InvalidOperationException("Not started.");
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
        if (Interlocked.Exchange(ref state, 2) != 1)
        {
            return;
        }

        Log.HostStopping(logger);
        var grace = this.options.ShutdownTimeout;
        var queueStops = queueListeners.Select(l => l.StopAsync(grace)).ToList();
        if (httpApp is not null)
        {
            // Kestrel stops accepting and waits for in-flight requests until the token fires.
            using var httpGrace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            httpGrace.CancelAfter(grace);
            await httpApp.StopAsync(httpGrace.Token);
        }

        await Task.WhenAll(queueStops);
        if (this.supervisor is not null)
        {
            await this.supervisor.StopAsync(TimeSpan.FromSeconds(5));
        }

        if (grpcApp is not null)
        {
            using var grpcGrace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await grpcApp.StopAsync(grpcGrace.Token);
        }

        Log.HostStopped(logger);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var listener in queueListeners)
        {
            await listener.DisposeAsync();
        }

        if (this.supervisor is not null)
        {
            await this.supervisor.DisposeAsync();
        }

        if (httpApp is not null)
        {
            await httpApp.DisposeAsync();
        }

        if (grpcApp is not null)
        {
            await grpcApp.DisposeAsync();
        }

        this.frontEnd?.Dispose();
        if (ownsLoggerFactory)
        {
            loggerFactory.Dispose();
        }
    }

    private sealed record HostStatus(string State, int? WorkerProcessId, int WorkerStarts, string[] Functions);
}
