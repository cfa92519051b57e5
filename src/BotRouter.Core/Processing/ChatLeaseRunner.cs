using BotRouter.Core.Chats;
using Microsoft.Extensions.Logging;

namespace BotRouter.Core.Processing;

/// <summary>
/// Runs work on a chat while holding its lease, so one chat is handled by one processor at a time and
/// different chats in parallel. A processor that finds the chat busy completes its message without spending
/// the queue's retry budget: the holder looks again after releasing the chat and wakes a processor if work
/// arrived meanwhile, and the busy one leaves a single delayed signal for when the lease would end, in case
/// the holder died.
/// </summary>
public sealed partial class ChatLeaseRunner(IChatStore store, IWorkSignals signals, IIdSource ids, TimeProvider time, ILogger<ChatLeaseRunner> logger)
{
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);

    /// <summary>Queue visibility delays have a resolution of one second; anything less is sent as zero.</summary>
    private static readonly TimeSpan MinRetry = TimeSpan.FromSeconds(1);

    /// <returns>False when the chat was busy and the signal was put back.</returns>
    public async Task<bool> RunAsync(WorkStage queue, string chatId, Func<ChatLease, Task> work, CancellationToken cancellationToken)
    {
        var attempt = await store.TryAcquireAsync(chatId, ids.NewId(), LeaseDuration, cancellationToken);
        if (attempt.Lease is not { } lease)
        {
            var delay = TimeSpan.FromTicks(Math.Clamp((attempt.RetryAfter + MinRetry).Ticks, MinRetry.Ticks, (LeaseDuration + MinRetry).Ticks));
            LogBusy(chatId, queue, delay.TotalMilliseconds);
            await signals.SignalAsync(queue, chatId, delay, cancellationToken);
            return false;
        }

        var failureBefore = lease.State.LastFailure;
        var completed = false;
        try
        {
            await work(lease);
            completed = true;

            // Clear a failure this stage has now overcome (not one the work itself just recorded).
            if (failureBefore?.Stage == queue && ReferenceEquals(lease.State.LastFailure, failureBefore))
            {
                await store.SaveAsync(lease, lease.State with { LastFailure = null }, cancellationToken);
            }
        }
        catch (Exception e) when (e is not (LeaseLostException or OperationCanceledException))
        {
            await NoteFailureAsync(lease, queue, e);
            throw;
        }
        catch (LeaseLostException)
        {
            // Our lease expired and another processor took the chat: it re-reads and re-decides what we did
            // not commit. Put the signal back so anything left is looked at again, without spending a retry.
            LogLost(chatId, queue);
            await signals.SignalAsync(queue, chatId, MinRetry, cancellationToken);
            return false;
        }
        finally
        {
            // A lost lease has nothing to release; any other failure leaves the lease to expire.
            try
            {
                await store.ReleaseAsync(lease, CancellationToken.None);
            }
            catch (LeaseLostException)
            {
            }
            catch (StorageUnavailableException e)
            {
                LogReleaseFailed(e, chatId);
            }
        }

        // Work that arrived while we held the chat found it busy: look once more now that it is free.
        if (completed && await store.HasPendingAsync(chatId, queue, cancellationToken))
        {
            await signals.SignalAsync(queue, chatId, TimeSpan.Zero, cancellationToken);
        }

        return true;
    }

    /// <summary>Writes down why the stage failed, so an operator sees it next to the poison message; best effort.</summary>
    private async Task NoteFailureAsync(ChatLease lease, WorkStage queue, Exception e)
    {
        var now = time.GetUtcNow();
        var error = $"{e.GetType().Name}: {e.Message}";
        var failure = lease.State.LastFailure is { } previous && previous.Stage == queue
            ? previous.Again(error, now)
            : new ProcessingFailure(queue, error, now, now, 1);
        try
        {
            await store.SaveAsync(lease, lease.State with { LastFailure = failure }, CancellationToken.None);
        }
        catch (Exception inner) when (inner is StorageUnavailableException or LeaseLostException)
        {
            LogNoteFailed(inner, lease.ChatId);
        }
    }

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Could not note the failure on chat {ChatId}")]
    private partial void LogNoteFailed(Exception e, string chatId);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Chat {ChatId} is busy; {Queue} signal put back for {DelayMs} ms")]
    private partial void LogBusy(string chatId, WorkStage queue, double delayMs);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Lost the lease on chat {ChatId} while working; {Queue} signal put back")]
    private partial void LogLost(string chatId, WorkStage queue);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Could not release chat {ChatId}; its lease will expire")]
    private partial void LogReleaseFailed(Exception e, string chatId);
}
