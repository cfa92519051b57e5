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

/// <summary>The mutation body of CM's current routing-control documentation (<c>BotRouter__MutationFormat=rule</c>).</summary>
public sealed record RuleMutationRequest
{
    [JsonPropertyName("ChatId")] public required string ChatId { get; init; }
    [JsonPropertyName("Mutations")] public required IReadOnlyList<RuleMutation> Mutations { get; init; }

    [JsonPropertyName("Context")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Context { get; init; }
}

public sealed record RuleMutation
{
    public const string Disable = "Disable";
    public const string Enable = "Enable";

    [JsonPropertyName("$type")] public string Type { get; init; } = "ruleMutation";
    [JsonPropertyName("action")] public required string Action { get; init; }
    [JsonPropertyName("operator")] public string Operator { get; init; } = "And";
    [JsonPropertyName("targetAdapterId")] public required string TargetAdapterId { get; init; }
}

/// <summary>Moves the bot component to a flow and step; follows an enable mutation.</summary>
public sealed record PositionRequest
{
    [JsonPropertyName("ChatId")] public required string ChatId { get; init; }
    [JsonPropertyName("FlowId")] public required string FlowId { get; init; }
    [JsonPropertyName("StepId")] public required string StepId { get; init; }
}
