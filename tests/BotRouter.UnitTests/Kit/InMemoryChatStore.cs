using BotRouter.Core.Chats;
using BotRouter.Core.Delivery;
using BotRouter.Core.Routing;

namespace BotRouter.UnitTests.Kit;

/// <summary>
/// The chat store port in memory, with the Table adapter's promises: commits are atomic and conditioned on
/// the version read, the hold keeps other readers out until it runs out, a dedupe key is seen once.
/// </summary>
public sealed class InMemoryChatStore(TimeProvider time, TimeSpan holdDuration) : IChatStore
{
    private readonly Dictionary<ChatId, Chat> chats = [];

    public int Commits { get; private set; }

    public Task<bool> AppendAsync(ChatId chatId, InboxItem item, string? dedupeKey, CancellationToken cancellationToken)
    {
        lock (chats)
        {
            var chat = Of(chatId);
            if (dedupeKey is not null && !chat.Seen.Add(dedupeKey))
            {
                return Task.FromResult(false);
            }

            chat.Inbox.Add(item);
            chat.Inbox.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return Task.FromResult(true);
        }
    }

    public Task<ChatState?> GetAsync(ChatId chatId, CancellationToken cancellationToken)
    {
        lock (chats)
        {
            return Task.FromResult(chats.TryGetValue(chatId, out var chat) ? chat.State : null);
        }
    }

    public Task RecordDeliveryAsync(ChatId chatId, DeliveryReport report, CancellationToken cancellationToken)
    {
        lock (chats)
        {
            Of(chatId).Deliveries[report.Reference] = report.Status;
            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyDictionary<string, DeliveryStatus>> GetDeliveriesAsync(ChatId chatId, CancellationToken cancellationToken)
    {
        lock (chats)
        {
            return Task.FromResult<IReadOnlyDictionary<string, DeliveryStatus>>(new Dictionary<string, DeliveryStatus>(Of(chatId).Deliveries));
        }
    }

    public Task<ChatWork> ReadWorkAsync(ChatId chatId, CancellationToken cancellationToken)
    {
        lock (chats)
        {
            var chat = Of(chatId);
            var now = time.GetUtcNow();
            return Task.FromResult<ChatWork>(new Work(
                chatId,
                chat.State ?? ChatState.New(chatId.ToString(), now),
                [.. chat.Inbox],
                [.. chat.Outbox],
                chat.HeldUntil > now ? chat.HeldUntil : null,
                chat.Version));
        }
    }

    public Task CommitAsync(ChatWork work, ChatCommit commit, CancellationToken cancellationToken)
    {
        lock (chats)
        {
            ThrowWhileDown("record a chat's turn");
            var w = (Work)work;
            var chat = Of(w.ChatId);
            if (chat.Version != w.Version)
            {
                throw new LeaseLostException(w.ChatId);
            }

            chat.State = commit.State;
            chat.Outbox.RemoveAll(c => commit.Done.Any(d => d.Id == c.Id));
            if (commit.Handled is { } handled)
            {
                chat.Inbox.RemoveAll(i => i.Key == handled.Key);
            }

            chat.Outbox.AddRange(commit.Added);
            chat.HeldUntil = commit.Release ? DateTimeOffset.MinValue : time.GetUtcNow() + holdDuration;
            w.Version = ++chat.Version;
            Commits++;
            return Task.CompletedTask;
        }
    }

    /// <summary>Renewals that fail as storage would during an outage (the hold is not extended), counted down.</summary>
    public int FailRenewals { get; set; }

    /// <summary>Until then, commits and renewals fail as storage does during an outage.</summary>
    public DateTimeOffset DownUntil { get; set; }

    private void ThrowWhileDown(string what)
    {
        if (time.GetUtcNow() < DownUntil)
        {
            throw new StorageUnavailableException($"Storage could not be reached to {what}.", new IOException("connection refused"));
        }
    }

    public Task RenewAsync(ChatWork work, CancellationToken cancellationToken)
    {
        lock (chats)
        {
            if (FailRenewals > 0)
            {
                FailRenewals--;
                throw new StorageUnavailableException("Storage could not be reached to renew a chat's hold.", new IOException("connection reset"));
            }

            ThrowWhileDown("renew a chat's hold");

            var w = (Work)work;
            var chat = Of(w.ChatId);
            if (chat.Version != w.Version)
            {
                throw new LeaseLostException(w.ChatId);
            }

            chat.HeldUntil = time.GetUtcNow() + holdDuration;
            w.Version = ++chat.Version;
            return Task.CompletedTask;
        }
    }

    /// <summary>What a chat holds now, for assertions.</summary>
    public (IReadOnlyList<InboxItem> Inbox, IReadOnlyList<RouterCall> Outbox, bool Held) Peek(ChatId chatId)
    {
        lock (chats)
        {
            var chat = Of(chatId);
            return ([.. chat.Inbox], [.. chat.Outbox], chat.HeldUntil > time.GetUtcNow());
        }
    }

    /// <summary>Another processor, elsewhere, holds the chat.</summary>
    public void HoldElsewhere(ChatId chatId)
    {
        lock (chats)
        {
            var chat = Of(chatId);
            chat.HeldUntil = time.GetUtcNow() + holdDuration;
            chat.Version++;
        }
    }

    private Chat Of(ChatId chatId)
    {
        if (!chats.TryGetValue(chatId, out var chat))
        {
            chats[chatId] = chat = new Chat();
        }

        return chat;
    }

    private sealed class Chat
    {
        public ChatState? State { get; set; }

        public List<InboxItem> Inbox { get; } = [];

        public List<RouterCall> Outbox { get; } = [];

        public HashSet<string> Seen { get; } = [];

        public Dictionary<string, DeliveryStatus> Deliveries { get; } = [];

        public DateTimeOffset HeldUntil { get; set; }

        public long Version { get; set; }
    }

    private sealed class Work(ChatId chatId, ChatState state, IReadOnlyList<InboxItem> inbox, IReadOnlyList<RouterCall> outbox, DateTimeOffset? heldUntil, long version)
        : ChatWork(chatId, state, inbox, outbox, heldUntil, hasMore: false)
    {
        public long Version { get; set; } = version;
    }
}
