using System.Text.Json;
using System.Text.Json.Serialization;

namespace BotRouter.Azure.Bots;

/// <summary>What the app posts to a REST bot (the REST channel protocol Rasa made common).</summary>
public sealed record RestBotRequest(string Sender, string Message, RestBotMetadata Metadata);

/// <param name="Event"><c>message</c>, <c>handback</c> or <c>reset</c>.</param>
/// <param name="NewSession">True when this message starts a new session (after <c>Bot__SessionTimeout</c> or an automatic hand-back); left out otherwise.</param>
public sealed record RestBotMetadata(
    string Event,
    string? Channel,
    string? Customer,
    string? Reference,
    DateTimeOffset TimeUtc,
    RestBotMedia? Media,
    JsonElement? Custom,
    string? FlowId,
    string? StepId,
    bool? NewSession = null);

public sealed record RestBotMedia(string MediaUri, string? ContentType, string? Title);

/// <summary>The <c>openai</c> bot's memory of one chat, kept as the chat's bot state.</summary>
public sealed record ChatMemory(IReadOnlyList<ChatMemoryTurn> Turns);

/// <summary>One exchange: what the customer said and what the bot answered.</summary>
public sealed record ChatMemoryTurn(string Customer, string Bot);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RestBotRequest))]
[JsonSerializable(typeof(ChatMemory))]
public sealed partial class BotJson : JsonSerializerContext
{
    /// <summary>Text as it is (no \u escapes of non-ASCII), so memory stays small and a REST bot reads plain UTF-8.</summary>
    public static BotJson Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
