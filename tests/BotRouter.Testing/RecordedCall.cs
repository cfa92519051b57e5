using System.Text.Json.Nodes;

namespace BotRouter.Testing;

/// <summary>
/// One request the app made to the Bot Router fake, in the order they arrived (<see cref="Seq"/>, from 1).
/// <see cref="Kind"/> is <c>reply</c>, <c>mutation</c>, <c>position</c> or <c>other</c> (by path); <see cref="Fault"/>
/// names the fault injected (<c>500</c>, <c>429</c>, <c>timeout</c>, ...), null when the call was accepted (200);
/// <see cref="Timestamp"/> is the <see cref="System.Diagnostics.Stopwatch"/> timestamp of its arrival.
/// </summary>
public sealed record RecordedCall(long Seq, string Kind, string Path, string? Token, string? ContentType, string Body, int Status, string? Fault, long Timestamp)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);
}
