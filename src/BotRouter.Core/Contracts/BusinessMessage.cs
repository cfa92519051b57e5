using System.Text.Json.Serialization;

namespace BotRouter.Core.Contracts;

/// <summary>The Business Messaging send body that BMProxy accepts.</summary>
public sealed record BmSendRequest
{
    [JsonPropertyName("messages")] public required BmMessages Messages { get; init; }
}

public sealed record BmMessages
{
    [JsonPropertyName("msg")] public required IReadOnlyList<BmMessage> Msg { get; init; }
}

public sealed record BmMessage
{
    [JsonPropertyName("from")] public required string From { get; init; }
    [JsonPropertyName("to")] public required IReadOnlyList<BmRecipient> To { get; init; }
    [JsonPropertyName("body")] public required BmBody Body { get; init; }
    [JsonPropertyName("allowedChannels")] public IReadOnlyList<string>? AllowedChannels { get; init; }
    [JsonPropertyName("reference")] public string? Reference { get; init; }
    [JsonPropertyName("customGrouping")] public string? CustomGrouping { get; init; }
    [JsonPropertyName("richContent")] public BmRichContent? RichContent { get; init; }
}

public sealed record BmRecipient
{
    [JsonPropertyName("number")] public required string Number { get; init; }
}

public sealed record BmBody
{
    [JsonPropertyName("type")] public string Type { get; init; } = "auto";
    [JsonPropertyName("content")] public required string Content { get; init; }
}

public sealed record BmRichContent
{
    [JsonPropertyName("conversation")] public IReadOnlyList<BmConversationItem>? Conversation { get; init; }
    [JsonPropertyName("suggestions")] public IReadOnlyList<BmSuggestion>? Suggestions { get; init; }
}

public sealed record BmConversationItem
{
    [JsonPropertyName("text")] public string? Text { get; init; }
    [JsonPropertyName("media")] public BmMedia? Media { get; init; }
}

public sealed record BmMedia
{
    [JsonPropertyName("mediaName")] public string? MediaName { get; init; }
    [JsonPropertyName("mediaUri")] public required string MediaUri { get; init; }
    [JsonPropertyName("mimeType")] public string? MimeType { get; init; }
}

public sealed record BmSuggestion
{
    [JsonPropertyName("action")] public string Action { get; init; } = "reply";
    [JsonPropertyName("label")] public required string Label { get; init; }
    [JsonPropertyName("postbackdata")] public string? PostbackData { get; init; }
    [JsonPropertyName("url")] public string? Url { get; init; }
}

/// <summary>What the Business Messaging gateway answers.</summary>
public sealed record BmSendResponse
{
    [JsonPropertyName("details")] public string? Details { get; init; }
    [JsonPropertyName("errorCode")] public int ErrorCode { get; init; }
    [JsonPropertyName("messages")] public IReadOnlyList<BmSendResult>? Messages { get; init; }
}

public sealed record BmSendResult
{
    [JsonPropertyName("to")] public string? To { get; init; }
    [JsonPropertyName("status")] public string? Status { get; init; }
    [JsonPropertyName("reference")] public string? Reference { get; init; }
    [JsonPropertyName("parts")] public int Parts { get; init; }
    [JsonPropertyName("messageDetails")] public string? MessageDetails { get; init; }
    [JsonPropertyName("messageErrorCode")] public int MessageErrorCode { get; init; }
}
