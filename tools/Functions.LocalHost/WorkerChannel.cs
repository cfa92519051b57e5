using System.Collections.Concurrent;
using System.Threading.Channels;
using Functions.LocalHost.Rpc;
using Grpc.Core;
using GrpcException = Grpc.Core.RpcException;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>Thrown for invocations that were in flight on a worker that went away.</summary>
public sealed class WorkerUnavailableException : Exception
{
    public WorkerUnavailableException()
    {
    }

    public WorkerUnavailableException(string message)
        : base(message)
    {
    }

    public WorkerUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The host side of one worker's EventStream: a single writer loop (gRPC stream writers are
/// not thread-safe), a reader loop that completes whatever request a response belongs to,
/// and the worker's logs relayed to the host logger.
/// </summary>
internal sealed class WorkerChannel
{
    private readonly Channel<StreamingMessage> outbound = Channel.CreateUnbounded<StreamingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<WorkerInitResponse> initResponse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<FunctionMetadataResponse> metadataResponse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<FunctionLoadResponse>> loads = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> invocations = new();
    private readonly ILogger logger;
    private readonly ILogger workerLogger;
    private volatile Exception? failure;

    public WorkerChannel(string workerId, ILoggerFactory loggerFactory)
    {
        WorkerId = workerId;
        this.logger = loggerFactory.CreateLogger("Functions.LocalHost.WorkerChannel");
        workerLogger = loggerFactory.CreateLogger("Worker");
    }

    public string WorkerId { get; }

    public Task Connected => this.connected.Task;

    public Task Disconnected => this.disconnected.Task;

    public Task<WorkerInitResponse> InitResponse => initResponse.Task;

    public Task<FunctionMetadataResponse> MetadataResponse => metadataResponse.Task;

    public bool IsAlive => this.failure is null;

    /// <summary>The worker's own Kestrel address (ASP.NET Core integration), once initialised.</summary>
    public Uri? HttpUri { get; set; }

    public int InFlight => this.invocations.Count;

    public void Send(StreamingMessage message)
    {
        if (!outbound.Writer.TryWrite(message))
        {
            throw new WorkerUnavailableException($"Worker {WorkerId} is no longer connected.");
        }
    }

    public Task<FunctionLoadResponse> LoadAsync(FunctionLoadRequest request)
    {
        var tcs = loads.GetOrAdd(request.FunctionId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        Send(new StreamingMessage { RequestId = Guid.NewGuid().ToString(), FunctionLoadRequest = request });
        return tcs.Task;
    }

    public async Task<InvocationResponse> InvokeAsync(InvocationRequest request, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (this.failure is { } failure)
        {
            throw new WorkerUnavailableException($"Worker {WorkerId} is no longer connected.", failure);
        }

        this.invocations[request.InvocationId] = tcs;
        var cancelled = false;
        try
        {
            Send(new StreamingMessage { RequestId = Guid.NewGuid().ToString(), InvocationRequest = request });

            return await tcs.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller stops waiting; the worker cancels the function's token. Sent from here
            // rather than from a token registration, which the ending wait could dispose unrun.
            cancelled = true;
            outbound.Writer.TryWrite(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = request.InvocationId } });
            throw;
        }
        finally
        {
            if (!cancelled)
            {
                this.invocations.TryRemove(request.InvocationId, out _);
            }
            else
            {
                // Keep listening a while for the worker's late answer (see FinishesAfterCancelAsync).
                _ = tcs.Task.WaitAsync(LateResponseWindow, CancellationToken.None).ContinueWith(
                    (_, id) => this.invocations.TryRemove((string)id!, out var _),
                    request.InvocationId,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
    }

    private static readonly TimeSpan LateResponseWindow = TimeSpan.FromMinutes(1);

    /// <summary>
    /// After a cancelled invocation: whether the worker answers it within <paramref name="gracePeriod"/>
    /// (the function honoured the cancellation) or the worker is gone.
    /// </summary>
    public async Task<bool> FinishesAfterCancelAsync(string invocationId, TimeSpan gracePeriod)
    {
        if (!this.invocations.TryGetValue(invocationId, out var tcs))
        {
            return true;
        }

        try
        {
            await tcs.Task.WaitAsync(gracePeriod);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (WorkerUnavailableException)
        {
            // The worker went away meanwhile: nothing left to restart.
            return true;
        }
    }

    /// <summary>Runs the stream until the worker disconnects or the host shuts it down.</summary>
    public async Task RunAsync(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, CancellationToken cancellationToken)
    {
        this.connected.TrySetResult();
        var writer = WriteLoopAsync(responseStream, cancellationToken);
        try
        {
            while (await requestStream.MoveNext(cancellationToken))
            {
                Dispatch(requestStream.Current);
            }

            Fail(new WorkerUnavailableException($"Worker {WorkerId} closed its stream."));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or GrpcException)
        {
            Fail(new WorkerUnavailableException($"Worker {WorkerId} disconnected.", ex));
        }
        finally
        {
            outbound.Writer.TryComplete();
            try
            {
                await writer;
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or GrpcException or InvalidOperationException)
            {
                // The stream is gone; nothing left to deliver.
            }
        }
    }

    private async Task WriteLoopAsync(IServerStreamWriter<StreamingMessage> responseStream, CancellationToken cancellationToken)
    {
        await foreach (var message in outbound.Reader.ReadAllAsync(cancellationToken))
        {
            await responseStream.WriteAsync(message, cancellationToken);
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.WorkerInitResponse:
                initResponse.TrySetResult(message.WorkerInitResponse);
                break;
            case StreamingMessage.ContentOneofCase.FunctionMetadataResponse:
                metadataResponse.TrySetResult(message.FunctionMetadataResponse);
                break;
            case StreamingMessage.ContentOneofCase.FunctionLoadResponse:
                CompleteLoad(message.FunctionLoadResponse);
                break;
            case StreamingMessage.ContentOneofCase.FunctionLoadResponseCollection:
                foreach (var response in message.FunctionLoadResponseCollection.FunctionLoadResponses)
                {
                    CompleteLoad(response);
                }

                break;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                if (this.invocations.TryGetValue(message.InvocationResponse.InvocationId, out var tcs))
                {
                    tcs.TrySetResult(message.InvocationResponse);
                }

                break;
            case StreamingMessage.ContentOneofCase.RpcLog:
                RelayLog(message.RpcLog);
                break;
            case StreamingMessage.ContentOneofCase.WorkerStatusResponse:
            case StreamingMessage.ContentOneofCase.None:
                // None: a message type outside this host's protocol subset; nothing to do with it.
                break;
            default:
                Log.UnexpectedMessage(this.logger, message.ContentCase.ToString(), WorkerId);
                break;
        }
    }

    private void CompleteLoad(FunctionLoadResponse response)
    {
        var tcs = loads.GetOrAdd(response.FunctionId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        tcs.TrySetResult(response);
    }

    private void RelayLog(RpcLog log)
    {
        var level = log.Level switch
        {
            RpcLog.Types.Level.Trace => LogLevel.Trace,
            RpcLog.Types.Level.Debug => LogLevel.Debug,
            RpcLog.Types.Level.Information => LogLevel.Information,
            RpcLog.Types.Level.Warning => LogLevel.Warning,
            RpcLog.Types.Level.Error => LogLevel.Error,
            RpcLog.Types.Level.Critical => LogLevel.Critical,
            _ => LogLevel.None,
        };
        // The worker relays its framework's own information logs (Kestrel, MVC, hosting) too; like
        // Core Tools, keep those out of the console unless debugging.
        if (level < LogLevel.Warning && (log.Category.StartsWith("Microsoft.", StringComparison.Ordinal) || log.Category.StartsWith("System.", StringComparison.Ordinal)))
        {
            level = LogLevel.Debug;
        }

        if (level == LogLevel.None || !workerLogger.IsEnabled(level))
        {
            return;
        }

        var text = log.Exception is { } ex && !string.IsNullOrEmpty(ex.Message)
            ? $"{log.Message}{Environment.NewLine}{ex.Message}{Environment.NewLine}{ex.StackTrace}"
            : log.Message;
        Log.WorkerLog(workerLogger, level, log.Category, text);
    }

    /// <summary>Fails everything still waiting on this worker; later sends throw.</summary>
    public void Fail(Exception reason)
    {
        if (Interlocked.CompareExchange(ref this.failure, reason, null) is not null)
        {
            return;
        }

        outbound.Writer.TryComplete();
        this.connected.TrySetException(reason);
        initResponse.TrySetException(reason);
        metadataResponse.TrySetException(reason);
        foreach (var load in loads.Values)
        {
            load.TrySetException(reason);
        }

        foreach (var invocation in this.invocations.Values)
        {
            invocation.TrySetException(reason);
        }

        this.disconnected.TrySetResult();
    }
}

/// <summary>Matches incoming EventStream calls to the worker processes this host launched.</summary>
internal sealed class WorkerRegistry
{
    private readonly ConcurrentDictionary<string, WorkerChannel> pending = new(StringComparer.OrdinalIgnoreCase);

    public void Add(WorkerChannel channel) => pending[channel.WorkerId] = channel;

    public void Remove(WorkerChannel channel) => pending.TryRemove(channel.WorkerId, out _);

    public WorkerChannel? Find(string workerId) => pending.TryGetValue(workerId, out var channel) ? channel : null;
}

/// <summary>The gRPC service the worker connects to.</summary>
internal sealed class FunctionRpcService(WorkerRegistry registry, ILogger<FunctionRpcService> logger) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            return;
        }

        var first = requestStream.Current;
        if (first.ContentCase != StreamingMessage.ContentOneofCase.StartStream)
        {
            Log.UnexpectedMessage(logger, first.ContentCase.ToString(), "(not started)");
            return;
        }

        // Only workers this host launched (by their random id) are accepted.
        var channel = registry.Find(first.StartStream.WorkerId);
        if (channel is null)
        {
            Log.UnknownWorker(logger, first.StartStream.WorkerId);
            return;
        }

        await channel.RunAsync(requestStream, responseStream, context.CancellationToken);
    }
}
