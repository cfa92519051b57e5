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

    private readonly FunctionApp app;
    private readonly LocalFunctionsHostOptions options;
    private readonly WorkerRegistry registry;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource firstStart = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock gate = new();
    private TaskCompletionSource<WorkerChannel> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Uri? grpcUri;
    private Task? loop;
    private Process? process;

    public WorkerSupervisor(FunctionApp app, LocalFunctionsHostOptions options, WorkerRegistry registry, ILoggerFactory loggerFactory)
    {
        this.app = app;
        this.options = options;
        this.registry = registry;
        this.loggerFactory = loggerFactory;
        logger = loggerFactory.CreateLogger("Functions.LocalHost.Worker");
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
                return this.process is { HasExited: false } p ? p.Id : null;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
    }

    public Task StartAsync(Uri grpcUri, CancellationToken cancellationToken)
    {
        this.grpcUri = grpcUri;
        loop = Task.Run(() => SuperviseAsync(this.stopping.Token), CancellationToken.None);
        return firstStart.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Waits for a worker that has finished its handshake.</summary>
    public async Task<WorkerChannel> GetReadyWorkerAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (this.stopping.IsCancellationRequested)
            {
                throw new WorkerUnavailableException("The host is stopping.");
            }

            Task<WorkerChannel> ready;
            lock (gate)
            {
                ready = this.ready.Task;
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
            var channel = new WorkerChannel(Guid.NewGuid().ToString(), this.loggerFactory);
            this.registry.Add(channel);
            Process? process = null;
            try
            {
                process = Launch(channel.WorkerId);
                this.process = process;
                var exited = process.WaitForExitAsync(stoppingToken);
                await HandshakeAsync(channel, exited, stoppingToken);

                LastStartupTime = Stopwatch.GetElapsedTime(startedAt);
                WorkerStarts++;
                Log.WorkerReady(logger, process.Id, Functions.Count, LastStartupTime.TotalMilliseconds);
                lock (gate)
                {
                    this.ready.TrySetResult(channel);
                }

                firstStart.TrySetResult();

                await Task.WhenAny(exited, channel.Disconnected);
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                Log.WorkerExited(logger, process.Id, process.HasExited ? process.ExitCode : null);
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
                Log.WorkerStartFailed(logger, ex);
                if (!firstStart.Task.IsCompleted)
                {
                    // A worker that never starts is a configuration problem: report it from StartAsync.
                    firstStart.TrySetException(ex);
                    break;
                }
            }
            finally
            {
                lock (gate)
                {
                    if (this.ready.Task.IsCompleted)
                    {
                        this.ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }

                channel.Fail(new WorkerUnavailableException($"Worker {channel.WorkerId} exited."));
                this.registry.Remove(channel);
                if (!stoppingToken.IsCancellationRequested)
                {
                    Kill(process);
                    process?.Dispose();
                }
            }

            if (!this.options.RestartWorkerOnExit || stoppingToken.IsCancellationRequested)
            {
                break;
            }

            Log.WorkerRestarting(logger, backoff.TotalMilliseconds);
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

        firstStart.TrySetException(new WorkerUnavailableException("The host stopped before the worker started."));
    }

    private async Task HandshakeAsync(WorkerChannel channel, Task exited, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(this.options.WorkerStartTimeout);
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
                throw new TimeoutException($"The worker did not finish start-up within {this.options.WorkerStartTimeout.TotalSeconds:F0} s ({step}).");
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
            WorkerDirectory = this.app.Directory,
            FunctionAppDirectory = this.app.Directory,
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
                throw new TimeoutException($"The worker's HTTP listener {workerHttp} did not open within {this.options.WorkerStartTimeout.TotalSeconds:F0} s.");
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
        if (this.app.WorkerIndexing)
        {
            channel.Send(new StreamingMessage
            {
                RequestId = Guid.NewGuid().ToString(),
                FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = this.app.Directory },
            });
            var response = await awaitStep(channel.MetadataResponse, "FunctionsMetadataRequest");
            if (response.UseDefaultMetadataIndexing)
            {
                metadata = this.app.ReadFunctionsMetadataFile();
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
            metadata = this.app.ReadFunctionsMetadataFile();
        }

        token.ThrowIfCancellationRequested();
        return metadata.Select(m => new FunctionDescriptor(m, this.app.Directory, this.app.GetSetting)).ToList();
    }

    private Process Launch(string workerId)
    {
        var grpcUri = this.grpcUri ?? throw new InvalidOperationException("Not started.");
        var executable = this.app.Executable;
        if (string.Equals(executable, "dotnet", StringComparison.OrdinalIgnoreCase) || string.Equals(executable, "dotnet.exe", StringComparison.OrdinalIgnoreCase))
        {
            // Under `dotnet run`/`dotnet test` the SDK says which muxer it is; use the same one.
            executable = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } muxer && File.Exists(muxer) ? muxer : executable;
        }

        var requestId = Guid.NewGuid().ToString();
        var info = new ProcessStartInfo(executable)
        {
            WorkingDirectory = this.app.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in this.app.WorkerArguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add(this.app.WorkerPath);

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
        foreach (var (key, value) in this.app.Settings)
        {
            info.Environment[key] = value;
        }

        // The worker builds its own Kestrel address (HttpUri); inherited URL settings would fight it.
        foreach (var key in new[] { "ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "URLS" })
        {
            info.Environment.Remove(key);
        }

        info.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        info.Environment["AzureWebJobsScriptRoot"] = this.app.Directory;
        info.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = this.app.Directory;
        info.Environment["FUNCTIONS_WORKER_DIRECTORY"] = this.app.Directory;
        info.Environment.TryAdd("AZURE_FUNCTIONS_ENVIRONMENT", "Development");

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var console = this.loggerFactory.CreateLogger("Worker.Console");
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
        Log.WorkerLaunched(logger, process.Id, executable, this.app.WorkerPath);
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
        if (this.stopping.IsCancellationRequested)
        {
            return;
        }

        WorkerChannel? channel = null;
        lock (gate)
        {
            if (this.ready.Task.IsCompletedSuccessfully)
            {
                channel = this.ready.Task.Result;
            }
        }

        var process = this.process;
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

        await this.stopping.CancelAsync();
        if (process is not null)
        {
            try
            {
                using var wait = new CancellationTokenSource(gracePeriod);
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                Log.WorkerKilled(logger, process.Id);
            }
            catch (InvalidOperationException)
            {
                // Never started.
            }

            Kill(process);
        }

        if (loop is not null)
        {
            await loop;
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
        lock (gate)
        {
            if (this.ready.Task.IsCompletedSuccessfully && this.ready.Task.Result == channel)
            {
                process = this.process;
            }
        }

        if (process is not null && !this.stopping.IsCancellationRequested)
        {
            Log.TimeoutRestartingWorker(logger, invocationId, process.Id);
            Kill(process);
        }
    }

    /// <summary>Kills the current worker process; tests use this to exercise the restart path.</summary>
    public void KillWorkerForTesting() => Kill(this.process);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        this.stopping.Dispose();
    }
}
