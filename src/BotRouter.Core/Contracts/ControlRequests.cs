using System.Text.Json.Serialization;

namespace BotRouter.Core.Contracts;

/// <summary>Enables or disables router components for one chat (hand-over, take-over, hand-back).</summary>
public sealed record MutationRequest
{
    [JsonPropertyName("ChatId")] public required string ChatId { get; init; }
    [JsonPropertyName("Mutations")] public required IReadOnlyList<Mutation> Mutations { get; init; }

    /// <summary>Team-routing values Customer Contact matches exactly against its teams; omitted when empty.</summary>
    [JsonPropertyName("Context")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Context { get; init; }
}

public sealed record Mutation
{
    public const string Disable = "disableComponent";
    public const string Enable = "enableComponent";

    [JsonPropertyName("$type")] public required string Type { get; init; }
    [JsonPropertyName("ComponentId")] public required string ComponentId { get; init; }
}

/// <summary>Moves the bot component to a flow and step; follows an enable mutation.</summary>
public sealed record PositionRequest
{
    [JsonPropertyName("ChatId")] public required string ChatId { get; init; }
    [JsonPropertyName("FlowId")] public required string FlowId { get; init; }
    [JsonPropertyName("StepId")] public required string StepId { get; init; }
}
