using System.Text.Json;
using System.Text.Json.Serialization;

namespace BotRouter.Core.Contracts;

/// <summary>A mobile-originated message as CM posts it to a webhook, extended by the Bot Router.</summary>
public sealed record MoMessage
{
    [JsonPropertyName("from")] public MoParty? From { get; init; }
    [JsonPropertyName("to")] public MoParty? To { get; init; }
    [JsonPropertyName("message")] public MoContent? Message { get; init; }
    [JsonPropertyName("reference")] public string? Reference { get; init; }
    [JsonPropertyName("groupings")] public JsonElement? Groupings { get; init; }
    [JsonPropertyName("timeUtc")] public DateTimeOffset? TimeUtc { get; init; }
    [JsonPropertyName("channel")] public string? Channel { get; init; }
    [JsonPropertyName("messageContext")] public JsonElement? MessageContext { get; init; }
    [JsonPropertyName("conversationalRouter")] public ConversationalRouter? ConversationalRouter { get; init; }
}

public sealed record MoParty
{
    [JsonPropertyName("number")] public string? Number { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
}

public sealed record MoContent
{
    [JsonPropertyName("text")] public string? Text { get; init; }
    [JsonPropertyName("media")] public MoMedia? Media { get; init; }
    [JsonPropertyName("custom")] public JsonElement? Custom { get; init; }
}

public sealed record MoMedia
{
    [JsonPropertyName("mediaUri")] public string? MediaUri { get; init; }
    [JsonPropertyName("contentType")] public string? ContentType { get; init; }
    [JsonPropertyName("title")] public string? Title { get; init; }
}

/// <summary>What the Bot Router adds to every MO it forwards: the chat and the router account.</summary>
public sealed record ConversationalRouter
{
    [JsonPropertyName("chatId")] public string? ChatId { get; init; }
    [JsonPropertyName("accountId")] public string? AccountId { get; init; }
}
