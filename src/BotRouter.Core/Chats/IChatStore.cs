using BotRouter.Core.Routing;

namespace BotRouter.Core.Chats;

/// <summary>
/// The chats' durable state: per chat a state record, an inbox (arrival order), an outbox (router calls in
/// decision order) and a short hold, so one processor at a time works on a chat. Implementations throw
/// <see cref="StorageUnavailableException"/> when the store cannot be reached.
/// </summary>
public interface IChatStore
{
    /// <summary>Appends to the inbox; false when <paramref name="dedupeKey"/> was seen before (nothing appended).</summary>
    Task<bool> AppendAsync(ChatId chatId, InboxItem item, string? dedupeKey, CancellationToken cancellationToken);

    Task<ChatState?> GetAsync(ChatId chatId, CancellationToken cancellationToken);

    /// <summary>Records a delivery status report against the chat's reply, apart from the state (it never delays processing).</summary>
    Task RecordDeliveryAsync(ChatId chatId, Delivery.DeliveryReport report, CancellationToken cancellationToken);

    /// <summary>The latest delivery status of each reply of the chat, by reference.</summary>
    Task<IReadOnlyDictionary<string, Delivery.DeliveryStatus>> GetDeliveriesAsync(ChatId chatId, CancellationToken cancellationToken);

    /// <summary>Reads what a turn needs in one go: the state, the inbox in arrival order and the outbox in order.</summary>
    Task<ChatWork> ReadWorkAsync(ChatId chatId, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically, and only if nobody else committed since <paramref name="work"/> was read: saves the state,
    /// removes the calls done and the handled inbox item, appends the new calls, and holds the chat for the
    /// hold duration (or releases it). Throws <see cref="LeaseLostException"/> when another processor got there first.
    /// </summary>
    Task CommitAsync(ChatWork work, ChatCommit commit, CancellationToken cancellationToken);

    /// <summary>Extends the hold while a slow call is in progress; throws <see cref="LeaseLostException"/> when lost.</summary>
    Task RenewAsync(ChatWork work, CancellationToken cancellationToken);
}
