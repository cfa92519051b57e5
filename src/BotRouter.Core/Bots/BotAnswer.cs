namespace BotRouter.Core.Bots;

/// <summary>A quick-reply suggestion: the label the customer sees and what comes back when tapped.</summary>
public sealed record BotSuggestion(string Label, string? Postback = null);

/// <summary>One message to the customer: a text with optional suggestions and media.</summary>
public sealed record BotReply(string Text, IReadOnlyList<BotSuggestion> Suggestions, BotMedia? Media = null)
{
    public static BotReply Of(string text, params string[] suggestions) =>
        new(text, [.. suggestions.Select(s => new BotSuggestion(s))]);
}

/// <summary>Hand the chat to a human agent, with the team-routing context for the disable mutation.</summary>
/// <param name="Notice">
/// What to tell the customer about the hand-over, sent after the other replies; left out when the hand-over does not
/// happen (outside opening hours with <c>Routing__OutOfHours=keep-bot</c>). The flow bot's hand-over notice.
/// </param>
public sealed record BotHandOver(IReadOnlyDictionary<string, string> Context, string? Notice = null);

/// <summary>What the bot decided: replies in order, then optionally a hand-over.</summary>
/// <param name="State">The bot's new saved state (opaque to the app); null when it keeps none.</param>
/// <param name="Position">For bots with flows: their new position; null leaves it as it was.</param>
/// <param name="Variables">For the flow bot: what it collected; null leaves them as they were.</param>
public sealed record BotAnswer(
    IReadOnlyList<BotReply> Replies,
    BotHandOver? HandOver = null,
    string? State = null,
    BotPosition? Position = null,
    IReadOnlyDictionary<string, string>? Variables = null)
{
    /// <summary>
    /// The most a bot's saved state may hold (1 MiB of characters): a ceiling against a runaway bot, not a storage
    /// limit. The store keeps a small state in the chat's row and a larger one beside it (the Table adapter in a
    /// blob, as it does with large webhooks). A bigger state is dropped, noted in the chat's history, and the bot
    /// starts afresh.
    /// </summary>
    public const int MaxStateChars = 1_048_576;

    public static BotAnswer Silent(string? state = null) => new([], State: state);
}
