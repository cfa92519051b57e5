using System.Collections.Concurrent;
using BotRouter.Simulator.Contracts;

namespace BotRouter.Simulator.Routing;

/// <summary>Every call in and out, with exact bodies, for tests and the console. Keeps the newest <see cref="Capacity"/>.</summary>
internal sealed class CallLog(TimeProvider time, ChangeFeed feed)
{
    public const int Capacity = 5000;

    private readonly ConcurrentQueue<CallRecord> calls = new();
    private long nextId;
    private long total;

    public long Total => Interlocked.Read(ref total);

    public CallRecord Add(string direction, string kind, string method, string path, string? chatId, bool? productTokenValid, string? requestBody, int status, string? responseBody)
    {
        var record = new CallRecord(Interlocked.Increment(ref nextId), time.GetUtcNow(), direction, kind, method, path, chatId, productTokenValid, requestBody, status, responseBody);
        calls.Enqueue(record);
        Interlocked.Increment(ref total);
        while (calls.Count > Capacity && calls.TryDequeue(out _))
        {
        }

        feed.Notify();
        return record;
    }

    /// <summary>The calls in order, optionally only one kind (send, mutation, position, reset, webhook, ...) or one chat.</summary>
    public IReadOnlyList<CallRecord> Snapshot(string? kind = null, string? chatId = null) =>
    [
        .. calls
            .Where(c => kind is null || string.Equals(c.Kind, kind, StringComparison.OrdinalIgnoreCase))
            .Where(c => chatId is null || string.Equals(c.ChatId, chatId, StringComparison.OrdinalIgnoreCase))
            .OrderBy(c => c.Id),
    ];

    public void Clear()
    {
        calls.Clear();
        feed.Notify();
    }
}

/// <summary>Global counters; <see cref="RejectedBotSends"/> is the one tests assert stays zero.</summary>
internal sealed class Counters
{
    public long BotSends;
    public long AcceptedBotSends;
    public long RejectedBotSends;
    public long Mutations;
    public long Positions;
    public long RefusedPositions;
    public long Resets;
    public long AuthenticationFailures;
    public long WebhookPosts;
    public long WebhookFailures;
    public long WebhookRetries;
    public long AgentInboxMessages;
    public long StatusReports;
    public long StatusReportFailures;

    public static void Increment(ref long counter) => Interlocked.Increment(ref counter);

    public SimulatorStats Snapshot(int chats, long calls) => new(
        chats,
        calls,
        Interlocked.Read(ref BotSends),
        Interlocked.Read(ref AcceptedBotSends),
        Interlocked.Read(ref RejectedBotSends),
        Interlocked.Read(ref Mutations),
        Interlocked.Read(ref Positions),
        Interlocked.Read(ref RefusedPositions),
        Interlocked.Read(ref Resets),
        Interlocked.Read(ref AuthenticationFailures),
        Interlocked.Read(ref WebhookPosts),
        Interlocked.Read(ref WebhookFailures),
        Interlocked.Read(ref WebhookRetries),
        Interlocked.Read(ref AgentInboxMessages),
        Interlocked.Read(ref StatusReports),
        Interlocked.Read(ref StatusReportFailures));

    public void Clear()
    {
        Interlocked.Exchange(ref BotSends, 0);
        Interlocked.Exchange(ref AcceptedBotSends, 0);
        Interlocked.Exchange(ref RejectedBotSends, 0);
        Interlocked.Exchange(ref Mutations, 0);
        Interlocked.Exchange(ref Positions, 0);
        Interlocked.Exchange(ref RefusedPositions, 0);
        Interlocked.Exchange(ref Resets, 0);
        Interlocked.Exchange(ref AuthenticationFailures, 0);
        Interlocked.Exchange(ref WebhookPosts, 0);
        Interlocked.Exchange(ref WebhookFailures, 0);
        Interlocked.Exchange(ref WebhookRetries, 0);
        Interlocked.Exchange(ref AgentInboxMessages, 0);
        Interlocked.Exchange(ref StatusReports, 0);
        Interlocked.Exchange(ref StatusReportFailures, 0);
    }
}
