using System.Text.Json.Serialization;

namespace BotRouter.Core.Chats;

public enum InboxKind
{
    Customer,
    Operator,
}

/// <summary>Something that happened to a chat and waits, in arrival order, to be handled.</summary>
public sealed record InboxItem(string Key, InboxKind Kind, string Payload, DateTimeOffset ReceivedUtc)
{
    /// <summary>Set by the store when the payload was too large for a table row and lives in a blob.</summary>
    public string? PayloadBlob { get; init; }

    /// <summary>Inbox keys sort by arrival; the id part keeps two arrivals in the same tick apart.</summary>
    public static string NewKey(DateTimeOffset arrival, IIdSource ids) => $"{arrival.UtcTicks:D19}-{ids.NewId()}";
}

[JsonConverter(typeof(JsonStringEnumConverter<OperatorAction>))]
public enum OperatorAction
{
    [JsonStringEnumMemberName("handover")] HandOver,
    [JsonStringEnumMemberName("takeover")] TakeOver,
    [JsonStringEnumMemberName("handback")] HandBack,
    [JsonStringEnumMemberName("reset")] Reset,
}

/// <summary>An operator's (or an agent's) routing request for one chat.</summary>
public sealed record OperatorCommand
{
    public required OperatorAction Action { get; init; }
    public IReadOnlyDictionary<string, string>? Context { get; init; }
    public string? FlowId { get; init; }
    public string? StepId { get; init; }
}
