using System.Text.Json.Serialization;

namespace BotRouter.Core.Routing;

[JsonConverter(typeof(JsonStringEnumConverter<RouterCallKind>))]
public enum RouterCallKind
{
    [JsonStringEnumMemberName("reply")] Reply,
    [JsonStringEnumMemberName("mutation")] Mutation,
    [JsonStringEnumMemberName("position")] Position,
    [JsonStringEnumMemberName("reset")] Reset,
}

/// <summary>
/// One call to the Bot Router, decided in a chat turn and executed later, in order.
/// <see cref="Body"/> is the exact JSON to post (none for a reset).
/// </summary>
/// <param name="Epoch">The chat's routing epoch when decided: a reply is sent only while it is still current.</param>
public sealed record RouterCall(
    string Id,
    RouterCallKind Kind,
    string? Body,
    long Epoch,
    string Summary);
