using System.Text.Json;
using System.Text.Json.Serialization;
using BotRouter.Azure;
using BotRouter.Core.Chats;

namespace BotRouter.Functions.Http;

public sealed record HandOverBody(IReadOnlyDictionary<string, string>? Context);

public sealed record HandBackBody(string? FlowId, string? StepId);

public sealed record ReplayBody(string? Queue, IReadOnlyList<string>? Ids);

public sealed record WebhookAccepted(string Status, string ChatId, bool Duplicate);

public sealed record CommandAccepted(string Status, string ChatId, string Command);

public sealed record ReplayResult(int Replayed);

public sealed record StatusReportsAccepted(int Received, int Recorded);

public sealed record PoisonList(IReadOnlyList<PoisonMessage> Messages, string? ContinuationToken);

/// <summary>What <c>GET /api/health</c> shows: overall, and per dependency "ok" or what is wrong.</summary>
public sealed record HealthView(bool Healthy, string Status, IReadOnlyDictionary<string, string> Dependencies);

/// <summary>Source-generated JSON for the app's own HTTP API (camelCase).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(HandOverBody))]
[JsonSerializable(typeof(HandBackBody))]
[JsonSerializable(typeof(ReplayBody))]
[JsonSerializable(typeof(WebhookAccepted))]
[JsonSerializable(typeof(CommandAccepted))]
[JsonSerializable(typeof(ReplayResult))]
[JsonSerializable(typeof(StatusReportsAccepted))]
[JsonSerializable(typeof(PoisonList))]
[JsonSerializable(typeof(HealthView))]
[JsonSerializable(typeof(ChatView))]
[JsonSerializable(typeof(FlowsView))]
[JsonSerializable(typeof(HoursView))]
public sealed partial class ApiJson : JsonSerializerContext;
