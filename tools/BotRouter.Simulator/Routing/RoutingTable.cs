using System.Collections.Concurrent;
using BotRouter.Simulator.Contracts;

namespace BotRouter.Simulator.Routing;

/// <summary>All chats the simulated router knows, keyed by chatId. In memory; lost on restart.</summary>
internal sealed class RoutingTable(SimulatorOptions options, TimeProvider time, ChangeFeed feed)
{
    private readonly ConcurrentDictionary<string, SimChat> chats = new(StringComparer.OrdinalIgnoreCase);

    public SimulatorOptions Options => options;
    public DateTimeOffset Now => time.GetUtcNow();
    public int Count => chats.Count;

    /// <summary>The chat of this channel + customer + business number, created on first contact.</summary>
    public SimChat Open(string channel, string customerNumber, string businessNumber)
    {
        var customer = PhoneNumbers.Normalize(customerNumber);
        var business = PhoneNumbers.Normalize(businessNumber);
        var chatId = ChatIds.For(channel, customer, business);
        return chats.GetOrAdd(chatId, id => new SimChat(id, channel.Trim(), customer, business, options.BotComponentId, options.AgentComponentId, Now, feed.Notify));
    }

    public SimChat? Find(string? chatId) =>
        Guid.TryParse(chatId, out var id) && chats.TryGetValue(id.ToString(), out var chat) ? chat : null;

    /// <summary>The chat a BMProxy send addresses; without a channel, the most recent chat between the two numbers.</summary>
    public SimChat? FindByParties(string customerNumber, string businessNumber)
    {
        var customer = PhoneNumbers.Normalize(customerNumber);
        var business = PhoneNumbers.Normalize(businessNumber);
        return chats.Values
            .Where(c => c.CustomerNumber == customer && c.BusinessNumber == business)
            .OrderByDescending(c => c.LastActivity)
            .FirstOrDefault();
    }

    public bool KnowsCustomer(string customerNumber)
    {
        var customer = PhoneNumbers.Normalize(customerNumber);
        return chats.Values.Any(c => c.CustomerNumber == customer);
    }

    public IReadOnlyList<ChatSummary> Summaries() =>
        [.. chats.Values.Select(c => c.Summary()).OrderByDescending(s => s.LastActivityUtc)];

    public IReadOnlyList<AgentInboxItem> AgentInbox() =>
        [.. chats.Values.SelectMany(c => c.AgentInbox()).OrderBy(i => i.Message.At)];

    public void Clear()
    {
        chats.Clear();
        feed.Notify();
    }
}
