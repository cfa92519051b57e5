using System.Text.Json;

namespace BotRouter.Core.Bots;

/// <summary>Why the bot is asked.</summary>
public enum BotEvent
{
    /// <summary>The customer sent a message.</summary>
    Message,

    /// <summary>An agent handed the chat back to the bot, optionally at a flow and step (<see cref="BotInput.Position"/>).</summary>
    HandBack,

    /// <summary>An operator reset the chat: a new session, the bot's saved state is gone.</summary>
    Reset,
}

/// <summary>A flow and step of a bot with flows.</summary>
public sealed record BotPosition(string FlowId, string StepId);

/// <summary>A media file sent by the customer or by the bot.</summary>
public sealed record BotMedia(string Uri, string? ContentType = null, string? Title = null);

/// <summary>What the customer sent: text, media and the channel's custom payload, each optional.</summary>
public sealed record CustomerMessage(string? Text, BotMedia? Media = null, JsonElement? Custom = null)
{
    public static CustomerMessage None { get; } = new(Text: null);
}

/// <summary>One event of a chat as the bot sees it.</summary>
/// <param name="Position">
/// For <see cref="BotEvent.Message"/>: where a bot with flows stands. For <see cref="BotEvent.HandBack"/>: the
/// flow and step the agent handed back to, or null.
/// </param>
/// <param name="Variables">What a flow bot collected (its state besides the position).</param>
/// <param name="State">The bot's own saved state, as it returned it last time; null for a new conversation.</param>
/// <param name="NewSession">
/// A new session starts with this message: the last one was longer ago than <c>Bot__SessionTimeout</c>, or the chat
/// was handed back automatically after an agent left it. The app already dropped the saved state; a bot that keeps
/// its own (by chat id) should forget it too.
/// </param>
public sealed record BotInput(
    string ChatId,
    BotEvent Event,
    string? Channel,
    string? CustomerNumber,
    CustomerMessage Message,
    string? Reference,
    DateTimeOffset TimeUtc,
    BotPosition? Position,
    IReadOnlyDictionary<string, string> Variables,
    string? State,
    bool NewSession = false);
