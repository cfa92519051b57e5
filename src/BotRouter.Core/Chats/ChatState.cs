using System.Text.Json.Serialization;

namespace BotRouter.Core.Chats;

[JsonConverter(typeof(JsonStringEnumConverter<RoutingMode>))]
public enum RoutingMode
{
    /// <summary>The bot answers the customer.</summary>
    [JsonStringEnumMemberName("bot")] Bot,

    /// <summary>A human agent in Customer Contact owns the chat; the bot stays quiet.</summary>
    [JsonStringEnumMemberName("agent")] Agent,
}

/// <summary>Everything the app keeps about one chat: who answers, where the bot is, and what happened.</summary>
public sealed record ChatState
{
    public const int HistoryLimit = 50;

    public required string ChatId { get; init; }
    public RoutingMode Mode { get; init; } = RoutingMode.Bot;

    /// <summary>Incremented on every change of <see cref="Mode"/>, so a reply decided before a change is never sent after it.</summary>
    public long Epoch { get; init; }
    public string? FlowId { get; init; }
    public string? StepId { get; init; }
    public IReadOnlyDictionary<string, string> Context { get; init; } = Empty;
    public IReadOnlyDictionary<string, string> Variables { get; init; } = Empty;

    /// <summary>The bot's own saved state (opaque to the app, e.g. a REST bot's or an LLM's memory); null for a new conversation.</summary>
    public string? BotState { get; init; }
    public string? Channel { get; init; }
    public string? CustomerNumber { get; init; }
    public string? BusinessNumber { get; init; }
    public DateTimeOffset UpdatedUtc { get; init; }

    /// <summary>When the customer's last message arrived (in either mode); null before the first.</summary>
    public DateTimeOffset? LastCustomerUtc { get; init; }

    /// <summary>
    /// When routing last changed by a hand-over (bot or operator), take-over, hand-back or reset; null before the
    /// first. Agents' own messages never pass through this app, so this is the only sign of an agent's work it sees.
    /// </summary>
    public DateTimeOffset? LastRoutingUtc { get; init; }
    public IReadOnlyList<HistoryEntry> History { get; init; } = [];

    /// <summary>The last processing failure not yet overcome, for operators (GET /api/poison).</summary>
    public ProcessingFailure? LastFailure { get; init; }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    public static ChatState New(string chatId, DateTimeOffset now) => new() { ChatId = chatId, UpdatedUtc = now };

    public ChatState WithMode(RoutingMode mode) => mode == Mode ? this : this with { Mode = mode, Epoch = Epoch + 1 };

    public ChatState Record(DateTimeOffset time, string actor, string action, string outcome, string? reference = null)
    {
        var entry = new HistoryEntry(time, actor, action, outcome, reference);
        var history = History.Count < HistoryLimit
            ? [.. History, entry]
            : History.Skip(History.Count - HistoryLimit + 1).Append(entry).ToList();
        return this with { History = history, UpdatedUtc = time };
    }
}

/// <summary>
/// Why processing a chat failed, since when and how often; cleared once processing succeeds.
/// <see cref="Parked"/>: the Bot Router refused a call for good, so the chat waits for an operator's replay.
/// </summary>
public sealed record ProcessingFailure(string Error, DateTimeOffset FirstUtc, DateTimeOffset LastUtc, int Attempts, bool Parked = false)
{
    /// <summary>The one way a failure is recorded: a repeat keeps when it first happened and counts the attempts.</summary>
    public static ProcessingFailure Note(ProcessingFailure? previous, string error, DateTimeOffset now, bool parked) =>
        previous is null
            ? new ProcessingFailure(error, now, now, 1, parked)
            : previous with { Error = error, LastUtc = now, Attempts = previous.Attempts + 1, Parked = parked };
}

/// <summary>One routing event. Never holds phone numbers or secrets.</summary>
/// <param name="Reference">For a reply CM accepted: its reference, which CM's delivery status reports name.</param>
public sealed record HistoryEntry(DateTimeOffset TimeUtc, string Actor, string Action, string Outcome, string? Reference = null);

public static class Actors
{
    public const string Customer = "customer";
    public const string Bot = "bot";
    public const string Operator = "operator";
    public const string Router = "router";
}
