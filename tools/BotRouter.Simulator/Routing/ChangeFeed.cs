namespace BotRouter.Simulator.Routing;

/// <summary>
/// A version number that goes up whenever a chat, the call log or the counters change, and a way to
/// wait for the next change: what <c>GET /simulator/events</c> streams to the console.
/// </summary>
internal sealed class ChangeFeed
{
    private readonly Lock gate = new();
    private TaskCompletionSource<long> next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long version;

    public long Version
    {
        get
        {
            lock (gate)
            {
                return version;
            }
        }
    }

    public void Notify()
    {
        TaskCompletionSource<long> done;
        long now;
        lock (gate)
        {
            now = ++version;
            done = next;
            next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        done.TrySetResult(now);
    }

    /// <summary>The version after <paramref name="seen"/>: at once when it already moved on, else at the next change.</summary>
    public Task<long> NextAfterAsync(long seen, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return version > seen ? Task.FromResult(version) : next.Task.WaitAsync(cancellationToken);
        }
    }
}
