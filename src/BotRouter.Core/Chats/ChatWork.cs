using BotRouter.Core.Routing;

namespace BotRouter.Core.Chats;

/// <summary>
/// A chat as read for processing, with its pending work. Stores subclass it to keep their own bookkeeping
/// (concurrency tokens, row keys) out of Core's sight; Core only reads what is here and hands it back.
/// </summary>
public abstract class ChatWork(ChatId chatId, ChatState state, IReadOnlyList<InboxItem> inbox, IReadOnlyList<RouterCall> outbox, DateTimeOffset? heldUntil, bool hasMore)
{
    public ChatId ChatId { get; } = chatId;

    /// <summary>The state as read (a new chat's defaults when the chat was never seen).</summary>
    public ChatState State { get; } = state;

    /// <summary>Inbox items in arrival order.</summary>
    public IReadOnlyList<InboxItem> Inbox { get; } = inbox;

    /// <summary>Calls decided but not yet done, in decision order.</summary>
    public IReadOnlyList<RouterCall> Outbox { get; } = outbox;

    /// <summary>Until when another processor holds the chat; null when it was free when read.</summary>
    public DateTimeOffset? HeldUntil { get; } = heldUntil;

    /// <summary>The inbox had more items than one read returns; read again once these are handled.</summary>
    public bool HasMore { get; } = hasMore;
}
