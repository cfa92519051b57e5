using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>Source-generated log messages (cheap when the level is off).</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Unexpected {Content} message from worker {WorkerId}")]
    public static partial void UnexpectedMessage(ILogger logger, string content, string workerId);

    [LoggerMessage(Message = "[{Category}] {Text}")]
    public static partial void WorkerLog(ILogger logger, LogLevel level, string category, string text);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A worker with unknown id {WorkerId} connected; ignored")]
    public static partial void UnknownWorker(ILogger logger, string workerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {ProcessId} ready: {FunctionCount} functions loaded in {ElapsedMs:F0} ms")]
    public static partial void WorkerReady(ILogger logger, int processId, int functionCount, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {ProcessId} exited (code {ExitCode})")]
    public static partial void WorkerExited(ILogger logger, int processId, int? exitCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Worker start failed")]
    public static partial void WorkerStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restarting the worker in {DelayMs:F0} ms")]
    public static partial void WorkerRestarting(ILogger logger, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    public static partial void WorkerConsole(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Line}")]
    public static partial void WorkerConsoleError(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Information, Message = "Launched worker {ProcessId}: {Executable} {WorkerPath}")]
    public static partial void WorkerLaunched(ILogger logger, int processId, string executable, string workerPath);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {ProcessId} did not exit within the grace period; killing it")]
    public static partial void WorkerKilled(ILogger logger, int processId);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function}: the worker did not report an HttpUri; only the ASP.NET Core integration (ConfigureFunctionsWebApplication) is supported")]
    public static partial void NoHttpUri(ILogger logger, string function);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} ({InvocationId}): forwarding to the worker failed")]
    public static partial void ForwardFailed(ILogger logger, string function, string invocationId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Executed '{Function}' (Succeeded, Id={InvocationId})")]
    public static partial void InvocationSucceeded(ILogger logger, string function, string invocationId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Executed '{Function}' (Failed, Id={InvocationId}): {Reason}")]
    public static partial void InvocationFailed(ILogger logger, string function, string invocationId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: output binding type '{Type}' is not implemented by the local host; its data is dropped")]
    public static partial void OutputBindingUnsupported(ILogger logger, string function, string type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling queue '{Queue}' failed")]
    public static partial void QueuePollFailed(ILogger logger, string queue, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} on '{Queue}' is not valid base64; moving it to the poison queue")]
    public static partial void QueueMessageUndecodable(ILogger logger, string queue, string messageId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Executed '{Function}' (Succeeded, message {MessageId}, dequeue count {DequeueCount})")]
    public static partial void QueueInvocationSucceeded(ILogger logger, string function, string messageId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Executed '{Function}' (Failed, message {MessageId}, dequeue count {DequeueCount}): {Reason}")]
    public static partial void QueueInvocationFailed(ILogger logger, string function, string messageId, long dequeueCount, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling message {MessageId} on '{Queue}' failed; it will reappear when its lease expires")]
    public static partial void QueueMessageHandlingFailed(ILogger logger, string queue, string messageId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} moved from '{Queue}' to '{PoisonQueue}' after {DequeueCount} attempts")]
    public static partial void QueueMessagePoisoned(ILogger logger, string messageId, string queue, string poisonQueue, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping '{Queue}': abandoning {Count} in-flight messages (they become visible again)")]
    public static partial void QueueAbandoning(ILogger logger, string queue, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the lease on message {MessageId}: {Reason}")]
    public static partial void QueueLeaseLost(ILogger logger, string messageId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Route}  ({BaseAddress})")]
    public static partial void HttpRoute(ILogger logger, string route, Uri baseAddress);

    [LoggerMessage(Level = LogLevel.Warning, Message = "authLevel is not enforced by the local host: every HTTP function is anonymous here")]
    public static partial void AuthNotEnforced(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: disabled by the app setting AzureWebJobs.{Function}.Disabled; its trigger does not run")]
    public static partial void FunctionDisabled(ILogger logger, string function);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: listening on queue '{Queue}'")]
    public static partial void QueueListening(ILogger logger, string function, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: trigger type '{Type}' is not implemented by the local host; the function never runs")]
    public static partial void TriggerUnsupported(ILogger logger, string function, string type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host started: {FunctionCount} functions, worker ready in {ElapsedMs:F0} ms")]
    public static partial void HostStarted(ILogger logger, int functionCount, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host stopping")]
    public static partial void HostStopping(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host stopped")]
    public static partial void HostStopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An InvocationCompleted handler threw")]
    public static partial void ObserverFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function}: the queue trigger could not start and the function will not run")]
    public static partial void QueueListenerFailed(ILogger logger, string function, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: queue '{Queue}' does not exist; polling until it is created (the host does not create trigger queues)")]
    public static partial void QueueMissing(ILogger logger, string function, string queue);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: queue '{Queue}' exists now")]
    public static partial void QueueAppeared(ILogger logger, string function, string queue);

    [LoggerMessage(Level = LogLevel.Error, Message = "Timeout value of {Timeout:c} exceeded by function '{Function}' (Id: '{InvocationId}'). Initiating cancellation.")]
    public static partial void FunctionTimedOut(ILogger logger, TimeSpan timeout, string function, string invocationId);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function} ({InvocationId}): writing its output bindings failed; answering 500 instead of the worker's response")]
    public static partial void OutputsFailed(ILogger logger, string function, string invocationId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A function timeout has occurred. Restarting worker process {ProcessId} executing invocationId '{InvocationId}'.")]
    public static partial void TimeoutRestartingWorker(ILogger logger, string invocationId, int processId);
}
