namespace Functions.LocalHost;

/// <summary>
/// Wakes the listeners of a queue when this host itself just enqueued to it (an output binding),
/// like the Storage extension's SharedQueueWatcher: without it a message written by one function
/// would wait for the trigger's back-off, up to maxPollingInterval, before its function runs.
/// </summary>
internal sealed class QueueWatcher
{
    private readonly Dictionary<string, List<Action>> registrations = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock gate = new();

    /// <summary>Registers a callback for enqueues to <paramref name="queueName"/>; dispose to remove it.</summary>
    public IDisposable Register(string queueName, Action notify)
    {
        lock (gate)
        {
            if (!registrations.TryGetValue(queueName, out var list))
            {
                registrations[queueName] = list = [];
            }

            list.Add(notify);
        }

        return new Registration(this, queueName, notify);
    }

    /// <summary>Called after a message was added to <paramref name="queueName"/>.</summary>
    public void Notify(string queueName)
    {
        Action[] targets;
        lock (gate)
        {
            if (!registrations.TryGetValue(queueName, out var list))
            {
                return;
            }

            targets = [.. list];
        }

        foreach (var notify in targets)
        {
            notify();
        }
    }

    private void Remove(string queueName, Action notify)
    {
        lock (gate)
        {
            if (registrations.TryGetValue(queueName, out var list))
            {
                list.Remove(notify);
            }
        }
    }

    private sealed class Registration(QueueWatcher watcher, string queueName, Action notify) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                watcher.Remove(queueName, notify);
            }
        }
    }
}
