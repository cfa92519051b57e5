using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BotRouter.Azure;

namespace BotRouter.DevHost;

/// <summary>The <c>extensions.queues</c> settings of host.json, with the Functions host's defaults.</summary>
public sealed record QueueTriggerSettings(int BatchSize, int NewBatchThreshold, TimeSpan MaxPollingInterval, TimeSpan VisibilityTimeout, int MaxDequeueCount)
{
    public static QueueTriggerSettings Read(IConfiguration hostJson)
    {
        var q = hostJson.GetSection("extensions:queues");
        var batch = q.GetValue("batchSize", 16);
        return new QueueTriggerSettings(
            batch,
            q.GetValue("newBatchThreshold", batch / 2),
            q.GetValue("maxPollingInterval", TimeSpan.FromMinutes(1)),
            q.GetValue("visibilityTimeout", TimeSpan.Zero),
            q.GetValue("maxDequeueCount", 5));
    }
}

/// <summary>
/// Runs a queue-triggered function with the semantics of the Functions Storage extension: batches of
/// <c>batchSize</c>, a new batch once in-flight work drops to <c>newBatchThreshold</c>, exponential polling
/// back-off up to <c>maxPollingInterval</c>, delete on success, <c>visibilityTimeout</c> on failure and, after
/// <c>maxDequeueCount</c> attempts, a move to <c>&lt;queue&gt;-poison</c>.
/// </summary>
public sealed partial class QueueTriggerListener(
    string functionName,
    QueueClient queue,
    QueueClient poison,
    QueueTriggerSettings settings,
    Func<IServiceProvider, string, CancellationToken, Task> invoke,
    IServiceScopeFactory scopes,
    ILogger<QueueTriggerListener> logger) : BackgroundService
{
    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a dequeued message stays invisible while its function runs (the host renews it; ours is generous).</summary>
    private static readonly TimeSpan RunVisibility = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var inFlight = new List<Task>();
        var delay = MinPollingInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            inFlight.RemoveAll(t => t.IsCompleted);
            if (inFlight.Count > settings.NewBatchThreshold)
            {
                await Task.WhenAny(inFlight);
                continue;
            }

            QueueMessage[] batch;
            try
            {
                batch = (await queue.ReceiveMessagesAsync(settings.BatchSize, RunVisibility, stoppingToken)).Value;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is global::Azure.RequestFailedException or AggregateException or HttpRequestException)
            {
                LogPollFailed(e, functionName);
                batch = [];
            }

            if (batch.Length == 0)
            {
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxPollingInterval.Ticks));
                continue;
            }

            delay = MinPollingInterval;
            inFlight.AddRange(batch.Select(m => Task.Run(() => RunAsync(m, stoppingToken), CancellationToken.None)));
        }

        // Let in-flight invocations finish; their messages stay invisible otherwise and come back later.
        await Task.WhenAll(inFlight);
    }

    private async Task RunAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        try
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                await invoke(scope.ServiceProvider, message.Body.ToString(), stoppingToken);
            }

            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested || e is not OperationCanceledException)
        {
            try
            {
                if (message.DequeueCount >= settings.MaxDequeueCount)
                {
                    LogPoisoned(e, functionName, message.MessageId, message.DequeueCount);
                    await poison.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
                    await poison.SendMessageAsync(message.Body, cancellationToken: CancellationToken.None);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
                }
                else
                {
                    LogFailed(e, functionName, message.MessageId, message.DequeueCount);
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: CancellationToken.None);
                }
            }
            catch (Exception inner) when (inner is global::Azure.RequestFailedException or AggregateException or HttpRequestException)
            {
                // The message becomes visible again when its invisibility ends; nothing is lost.
                LogReleaseFailed(inner, functionName, message.MessageId);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the message becomes visible again and is processed after restart.
        }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "{Function}: polling the queue failed")]
    private partial void LogPollFailed(Exception e, string function);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "{Function}: message {MessageId} failed (attempt {DequeueCount}); it will be retried")]
    private partial void LogFailed(Exception e, string function, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Error, Message = "{Function}: message {MessageId} failed {DequeueCount} times; moved to the poison queue")]
    private partial void LogPoisoned(Exception e, string function, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Warning, Message = "{Function}: could not release message {MessageId}; it reappears when its visibility ends")]
    private partial void LogReleaseFailed(Exception e, string function, string messageId);
}
