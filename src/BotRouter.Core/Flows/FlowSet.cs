using System.Text.Json.Serialization;

namespace BotRouter.Core.Flows;

/// <summary>The bot's script: flows of steps, plus the hand-over keywords and the fallback line.</summary>
public sealed record FlowSet
{
    [JsonPropertyName("handOver")] public required HandOverSettings HandOver { get; init; }
    [JsonPropertyName("fallback")] public required string Fallback { get; init; }
    [JsonPropertyName("flows")] public required IReadOnlyList<Flow> Flows { get; init; }

    public Flow StartFlow => Flows[0];
    public Step StartStep => Flows[0].Steps[0];

    public Step? FindStep(string? flowId, string? stepId) =>
        Flows.FirstOrDefault(f => f.Id == flowId)?.Steps.FirstOrDefault(s => s.Id == stepId);
}

public sealed record HandOverSettings
{
    /// <summary>Whole words that, in any message and any case, hand the chat to a human.</summary>
    [JsonPropertyName("keywords")] public required IReadOnlyList<string> Keywords { get; init; }
    [JsonPropertyName("notice")] public required string Notice { get; init; }
    [JsonPropertyName("context")] public IReadOnlyDictionary<string, string>? Context { get; init; }
}

public sealed record Flow
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("title")] public string? Title { get; init; }
    [JsonPropertyName("steps")] public required IReadOnlyList<Step> Steps { get; init; }
}

/// <summary>
/// One point in a flow. What the customer may do next is given by exactly one of: <see cref="Choices"/>
/// (a menu), <see cref="Input"/> (free text), <see cref="HandOver"/> (to a human) or <see cref="Next"/>
/// (a message that moves on by itself); a step with none of them ends the conversation politely.
/// </summary>
public sealed record Step
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("prompt")] public required string Prompt { get; init; }
    [JsonPropertyName("choices")] public IReadOnlyList<Choice>? Choices { get; init; }
    [JsonPropertyName("input")] public InputSpec? Input { get; init; }
    [JsonPropertyName("handOver")] public HandOverTarget? HandOver { get; init; }
    [JsonPropertyName("next")] public string? Next { get; init; }
}

public sealed record Choice
{
    [JsonPropertyName("label")] public required string Label { get; init; }
    [JsonPropertyName("keywords")] public IReadOnlyList<string>? Keywords { get; init; }

    /// <summary>The step to go to: a step id of the same flow, or <c>flowId/stepId</c>.</summary>
    [JsonPropertyName("next")] public string? Next { get; init; }
    [JsonPropertyName("handOver")] public HandOverTarget? HandOver { get; init; }
}

public sealed record InputSpec
{
    /// <summary>A regular expression the whole answer must match.</summary>
    [JsonPropertyName("pattern")] public string? Pattern { get; init; }
    [JsonPropertyName("saveAs")] public required string SaveAs { get; init; }
    [JsonPropertyName("invalid")] public string? Invalid { get; init; }
    [JsonPropertyName("next")] public required string Next { get; init; }
}

public sealed record HandOverTarget
{
    [JsonPropertyName("notice")] public string? Notice { get; init; }
    [JsonPropertyName("context")] public IReadOnlyDictionary<string, string>? Context { get; init; }
}
