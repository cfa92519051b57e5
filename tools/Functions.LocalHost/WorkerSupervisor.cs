using System.Diagnostics;
using Functions.LocalHost.Rpc;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>
/// Launches the worker process, performs the handshake (StartStream, init, metadata, loads),
/// and restarts the worker when it exits, until stopped.
/// </summary>
internal sealed class WorkerSupervisor : IAsyncDisposable
{
    private const int GrpcMaxMessageLength = int.MaxValue;

    private readonly FunctionApp _app;
    private readonly LocalFunctionsHostOptions _options;
    private readonly WorkerRegistry _registry;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstStart = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private TaskCompletionSource<WorkerChannel> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Uri? _grpcUri;
    private Task? _loop;
    private Process? _process;

    public WorkerSupervisor(FunctionApp app, LocalFunctionsHostOptions options, WorkerRegistry registry, ILoggerFactory loggerFactory)
    {
        _app = app;
        _options = options;
        _registry = registry;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Functions.LocalHost.Worker");
    }

    /// <summary>The functions from the first successful handshake (later workers must load the same ones).</summary>
    public IReadOnlyList<FunctionDescriptor> Functions { get; private set; } = [];

    /// <summary>Launch-to-all-functions-loaded time of the most recent worker start.</summary>
    public TimeSpan LastStartupTime { get; private set; }

    /// <summary>How many worker processes reached the ready state.</summary>
    public int WorkerStarts { get; private set; }

    public int? WorkerProcessId
    {
        get
        {
            try
            {
                return _process is { HasExited: false } p ? p.Id : null;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
    }

    public Task StartAsync(Uri grpcUri, CancellationToken cancellationToken)
    {
        _grpcUri = grpcUri;
        _loop = Task.Run(() => SuperviseAsync(_stopping.Token), CancellationToken.None);
        return _firstStart.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Waits for a worker that has finished its handshake.</summary>
    public async Task<WorkerChannel> GetReadyWorkerAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_stopping.IsCancellationRequested)
            {
                throw new WorkerUnavailableException("The host is stopping.");
            }

            Task<WorkerChannel> ready;
            lock (_gate)
            {
                ready = _ready.Task;
            }

            var channel = await ready.WaitAsync(cancellationToken);
            if (channel.IsAlive)
            {
                return channel;
            }

            // The supervisor has not yet noticed the death; it swaps in a new signal shortly.
            await Task.Delay(25, cancellationToken);
        }
    }

    private async Task SuperviseAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            var startedAt = Stopwatch.GetTimestamp();
            var channel = new WorkerChannel(Guid.NewGuid().ToString(), _loggerFactory);
            _registry.Add(channel);
            Process? process = null;
            try
            {
                process = Launch(channel.WorkerId);
                _process = process;
                var exited = process.WaitForExitAsync(stoppingToken);
                await HandshakeAsync(channel, exited, stoppingToken);

                LastStartupTime = Stopwatch.GetElapsedTime(startedAt);
                WorkerStarts++;
                Log.WorkerReady(_logger, process.Id, Functions.Count, LastStartupTime.TotalMilliseconds);
                lock (_gate)
                {
                    _ready.TrySetResult(channel);
                }

                _firstStart.TrySetResult();

                await Task.WhenAny(exited, channel.Disconnected);
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                Log.WorkerExited(_logger, process.Id, process.HasExited ? process.ExitCode : null);
                if (Stopwatch.GetElapsedTime(startedAt) > TimeSpan.FromMinutes(1))
                {
                    backoff = TimeSpan.FromMilliseconds(500);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.WorkerStartFailed(_logger, ex);
                if (!_firstStart.Task.IsCompleted)
                {
                    // A worker that never starts is a configuration problem: report it from StartAsync.
                    _firstStart.TrySetException(ex);
                    break;
                }
            }
            finally
            {
                lock (_gate)
                {
                    if (_ready.Task.IsCompleted)
                    {
                        _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }

                channel.Fail(new WorkerUnavailableException($"Worker {channel.WorkerId} exited."));
                _registry.Remove(channel);
                if (!stoppingToken.IsCancellationRequested)
                {
                    Kill(process);
                    process?.Dispose();
                }
            }

            if (!_options.RestartWorkerOnExit || stoppingToken.IsCancellationRequested)
            {
                break;
            }

            Log.WorkerRestarting(_logger, backoff.TotalMilliseconds);
            try
            {
                await Task.Delay(backoff, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }

        _firstStart.TrySetException(new WorkerUnavailableException("The host stopped before the worker started."));
    }

    private async Task HandshakeAsync(WorkerChannel channel, Task exited, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.WorkerStartTimeout);
        var token = timeout.Token;

        async Task<T> Await<T>(Task<T> task, string step)
        {
            Task done;
            try
            {
                done = await Task.WhenAny(task, exited).WaitAsync(token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The worker did not finish start-up within {_options.WorkerStartTimeout.TotalSeconds:F0} s ({step}).");
            }

            if (done == exited && !task.IsCompleted)
            {
                throw new WorkerUnavailableException($"The worker exited during start-up ({step}).");
            }

            return await task;
        }

        await Await(channel.Connected.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default), "waiting for StartStream");

        var init = new WorkerInitRequest
        {
            HostVersion = "4.1000.0-localhost",
            WorkerDirectory = _app.Directory,
            FunctionAppDirectory = _app.Directory,
        };
        channel.Send(new StreamingMessage { RequestId = Guid.NewGuid().ToString(), WorkerInitRequest = init });
        var initResponse = await Await(channel.InitResponse, "WorkerInitRequest");
        if (initResponse.Result?.Status != StatusResult.Types.Status.Success)
        {
            throw new InvalidOperationException($"Worker initialisation failed: {initResponse.Result?.Exception?.Message}");
        }

        if (initResponse.Capabilities.TryGetValue("HttpUri", out var httpUri) && Uri.TryCreate(httpUri, UriKind.Absolute, out var uri))
        {
            channel.HttpUri = uri;
        }

        if (Functions.Count == 0)
        {
            Functions = await IndexFunctionsAsync(channel, Await, token);
        }

        if (channel.HttpUri is { } workerHttp)
        {
            // The worker answers the handshake before its Kestrel listens; a request forwarded in
            // that gap is refused and the invocation then hangs in the worker for 15 s.
            try
            {
                await WaitForListenerAsync(workerHttp, exited, token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The worker's HTTP listener {workerHttp} did not open within {_options.WorkerStartTimeout.TotalSeconds:F0} s.");
            }
        }

        foreach (var function in Functions)
        {
            var load = channel.LoadAsync(new FunctionLoadRequest { FunctionId = function.Id, Metadata = function.LoadMetadata });
            var response = await Await(load, $"loading {function.Name}");
            if (response.Result?.Status != StatusResult.Types.Status.Success)
            {
                throw new InvalidOperationException($"Function '{function.Name}' failed to load: {response.Result?.Exception?.Message}");
            }
        }
    }

    private static async Task WaitForListenerAsync(Uri uri, Task exited, CancellationToken token)
    {
        while (true)
        {
            if (exited.IsCompleted)
            {
                throw new WorkerUnavailableException("The worker exited during start-up (waiting for its HTTP listener).");
            }

            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(uri.Host, uri.Port, token);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(20, token);
            }
        }
    }

    private async Task<IReadOnlyList<FunctionDescriptor>> IndexFunctionsAsync(WorkerChannel channel, Func<Task<FunctionMetadataResponse>, string, Task<FunctionMetadataResponse>> awaitStep, CancellationToken token)
    {
        IReadOnlyList<RpcFunctionMetadata> metadata;
        if (_app.WorkerIndexing)
        {
            channel.Send(new StreamingMessage
            {
                RequestId = Guid.NewGuid().ToString(),
                FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = _app.Directory },
            });
            var response = await awaitStep(channel.MetadataResponse, "FunctionsMetadataRequest");
            if (response.UseDefaultMetadataIndexing)
            {
                metadata = _app.ReadFunctionsMetadataFile();
            }
            else if (response.Result?.Status != StatusResult.Types.Status.Success)
            {
                throw new InvalidOperationException($"Worker indexing failed: {response.Result?.Exception?.Message}");
            }
            else
            {
                metadata = response.FunctionMetadataResults;
            }
        }
        else
        {
            metadata = _app.ReadFunctionsMetadataFile();
        }

        token.ThrowIfCancellationRequested();
        return metadata.Select(m => new FunctionDescriptor(m, _app.Directory, _app.GetSetting)).ToList();
    }

    private Process Launch(string workerId)
    {
        var grpcUri = _grpcUri ?? throw new InvalidOperationException("Not started.");
        var executable = _app.Executable;
        if (string.Equals(executable, "dotnet", StringComparison.OrdinalIgnoreCase) || string.Equals(executable, "dotnet.exe", StringComparison.OrdinalIgnoreCase))
        {
            // Under `dotnet run`/`dotnet test` the SDK says which muxer it is; use the same one.
            executable = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } muxer && File.Exists(muxer) ? muxer : executable;
        }

        var requestId = Guid.NewGuid().ToString();
        var info = new ProcessStartInfo(executable)
        {
            WorkingDirectory = _app.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in _app.WorkerArguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add(_app.WorkerPath);

        // Both spellings, as the real host passes them: newer workers read the --functions-* ones.
        string[] args =
        [
            "--host", grpcUri.Host,
            "--port", grpcUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--workerId", workerId,
            "--requestId", requestId,
            "--grpcMaxMessageLength", GrpcMaxMessageLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--functions-uri", grpcUri.AbsoluteUri,
            "--functions-worker-id", workerId,
            "--functions-request-id", requestId,
            "--functions-grpc-max-message-length", GrpcMaxMessageLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        foreach (var argument in args)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (key, value) in _app.Settings)
        {
            info.Environment[key] = value;
        }

        // The worker builds its own Kestrel address (HttpUri); inherited URL settings would fight it.
        foreach (var key in new[] { "ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "URLS" })
        {
            info.Environment.Remove(key);
        }

        info.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        info.Environment["AzureWebJobsScriptRoot"] = _app.Directory;
        info.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = _app.Directory;
        info.Environment["FUNCTIONS_WORKER_DIRECTORY"] = _app.Directory;
        info.Environment.TryAdd("AZURE_FUNCTIONS_ENVIRONMENT", "Development");

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var console = _loggerFactory.CreateLogger("Worker.Console");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Log.WorkerConsole(console, line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Log.WorkerConsoleError(console, line);
            }
        };

        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start '{executable}'.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Log.WorkerLaunched(_logger, process.Id, executable, _app.WorkerPath);
        return process;
    }

    private static void Kill(Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Asks the worker to terminate (letting in-flight work finish), then kills it after the grace period.</summary>
    public async Task StopAsync(TimeSpan gracePeriod)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        WorkerChannel? channel = null;
        lock (_gate)
        {
            if (_ready.Task.IsCompletedSuccessfully)
            {
                channel = _ready.Task.Result;
            }
        }

        var process = _process;
        if (channel is { IsAlive: true })
        {
            try
            {
                channel.Send(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Duration.FromTimeSpan(gracePeriod) } });
            }
            catch (WorkerUnavailableException)
            {
                // Already disconnected.
            }
        }

        await _stopping.CancelAsync();
        if (process is not null)
        {
            try
            {
                using var wait = new CancellationTokenSource(gracePeriod);
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                Log.WorkerKilled(_logger, process.Id);
            }
            catch (InvalidOperationException)
            {
                // Never started.
            }

            Kill(process);
        }

        if (_loop is not null)
        {
            await _loop;
        }

        channel?.Fail(new WorkerUnavailableException("The host stopped."));
        process?.Dispose();
    }

    /// <summary>
    /// How long a timed-out invocation may take to end after InvocationCancel before its worker is
    /// restarted. WebJobs leaves this to the timeout handler; host logs show the restart about 2 s
    /// after the timeout.
    /// </summary>
    internal static readonly TimeSpan TimeoutGracePeriod = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After a functionTimeout, like the real host: if the function does not end within the grace
    /// period (it ignores its cancellation token), restart the worker process running it. Other
    /// invocations on that worker fail with it, as on Azure.
    /// </summary>
    public async Task OnInvocationTimedOutAsync(WorkerChannel channel, string invocationId)
    {
        if (await channel.FinishesAfterCancelAsync(invocationId, TimeoutGracePeriod))
        {
            return;
        }

        Process? process = null;
        lock (_gate)
        {
            if (_ready.Task.IsCompletedSuccessfully && _ready.Task.Result == channel)
            {
                process = _process;
            }
        }

        if (process is not null && !_stopping.IsCancellationRequested)
        {
            Log.TimeoutRestartingWorker(_logger, invocationId, process.Id);
            Kill(process);
        }
    }

    /// <summary>Kills the current worker process; tests use this to exercise the restart path.</summary>
    public void KillWorkerForTesting() => Kill(_process);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _stopping.Dispose();
    }
}
