using BotRouter.Core.Routing;

namespace BotRouter.Core.Chats;

/// <summary>
/// The chats' durable state: per chat a state record, an inbox (arrival order), an outbox (router calls,
/// decision order) and a lease so that one processor at a time works on a chat.
/// Implementations throw <see cref="StorageUnavailableException"/> when the store cannot be reached.
/// </summary>
public interface IChatStore
{
    /// <summary>Appends to the inbox; false when <paramref name="dedupeKey"/> was seen before (nothing appended).</summary>
    Task<bool> AppendAsync(string chatId, InboxItem item, string? dedupeKey, CancellationToken cancellationToken);

    Task<ChatState?> GetAsync(string chatId, CancellationToken cancellationToken);

    /// <summary>Takes the chat for <paramref name="duration"/>, creating it when new; or says how long another holder keeps it.</summary>
    Task<LeaseAttempt> TryAcquireAsync(string chatId, string owner, TimeSpan duration, CancellationToken cancellationToken);

    Task<IReadOnlyList<InboxItem>> ReadInboxAsync(ChatLease lease, int max, CancellationToken cancellationToken);

    Task<IReadOnlyList<RouterCall>> ReadOutboxAsync(ChatLease lease, int max, CancellationToken cancellationToken);

    /// <summary>Atomically: saves the state, removes the handled inbox item, appends the calls to the outbox. Renews the lease.</summary>
    Task CommitTurnAsync(ChatLease lease, ChatState state, InboxItem handled, IReadOnlyList<RouterCall> calls, CancellationToken cancellationToken);

    /// <summary>Atomically: saves the state and removes the finished call from the outbox. Renews the lease.</summary>
    Task CommitCallAsync(ChatLease lease, ChatState state, RouterCall done, CancellationToken cancellationToken);

    /// <summary>Whether the stage has work waiting for the chat (inbox rows for inbound, outbox rows for router-commands).</summary>
    Task<bool> HasPendingAsync(string chatId, WorkStage stage, CancellationToken cancellationToken);

    /// <summary>Saves the state alone (e.g. a failure note). Renews the lease.</summary>
    Task SaveAsync(ChatLease lease, ChatState state, CancellationToken cancellationToken);

    Task ReleaseAsync(ChatLease lease, CancellationToken cancellationToken);
}

/// <summary>A held chat. <see cref="State"/> and <see cref="Version"/> follow every commit.</summary>
public sealed class ChatLease(string chatId, string owner, ChatState state, string version)
{
    public string ChatId { get; } = chatId;
    public string Owner { get; } = owner;
    public ChatState State { get; set; } = state;

    /// <summary>The store's concurrency token (the ETag) of the state as last read or written.</summary>
    public string Version { get; set; } = version;

    /// <summary>Store-private bookkeeping kept with the state (e.g. the next outbox sequence number).</summary>
    public long NextCallSequence { get; set; }

    /// <summary>Store-private: where each call read from the outbox lives, so finishing it costs no look-up.</summary>
    public Dictionary<string, string> OutboxKeys { get; } = [];
}

public sealed record LeaseAttempt(ChatLease? Lease, TimeSpan RetryAfter)
{
    public static LeaseAttempt Held(TimeSpan retryAfter) => new(null, retryAfter);
}

/// <summary>The lease was lost to another processor (it expired and was taken): stop working on the chat.</summary>
public sealed class LeaseLostException(string chatId)
    : Exception($"The lease on chat {chatId} was taken by another processor.");

/// <summary>The storage account (or Azurite) could not be reached or refused the request.</summary>
public sealed class StorageUnavailableException(string message, Exception inner) : Exception(message, inner);

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<WorkStage>))]
public enum WorkStage
{
    Inbound,
    RouterCommands,
}

/// <summary>Wakes a processor for a chat. Signals are idempotent: extra ones find nothing to do.</summary>
public interface IWorkSignals
{
    Task SignalAsync(WorkStage queue, string chatId, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Parks the chat's signal in the stage's poison queue, for an operator to look at and replay.</summary>
    Task PoisonAsync(WorkStage queue, string chatId, CancellationToken cancellationToken);
}

/// <summary>Unique ids (reply references, inbox keys, lease owners) from one place, so tests can control them.</summary>
public interface IIdSource
{
    string NewId();
}

public sealed class GuidIdSource : IIdSource
{
    public string NewId() => Guid.NewGuid().ToString("N");
}
