using System.Text.Json.Serialization;
using BotRouter.Core.Chats;
using BotRouter.Core.Flows;

namespace BotRouter.Core.Contracts;

/// <summary>Source-generated JSON for every shape that crosses a boundary (CM, storage, operators).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip)]
[JsonSerializable(typeof(MoMessage))]
[JsonSerializable(typeof(BmSendRequest))]
[JsonSerializable(typeof(BmSendResponse))]
[JsonSerializable(typeof(MutationRequest))]
[JsonSerializable(typeof(RuleMutationRequest))]
[JsonSerializable(typeof(PositionRequest))]
[JsonSerializable(typeof(FlowSet))]
[JsonSerializable(typeof(OperatorCommand))]
[JsonSerializable(typeof(List<HistoryEntry>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(ChatView))]
[JsonSerializable(typeof(FlowsView))]
[JsonSerializable(typeof(QueueSignal))]
[JsonSerializable(typeof(ProcessingFailure))]
public sealed partial class CoreJson : JsonSerializerContext
{
    /// <summary>
    /// For bodies sent to CM: phone numbers and text are written as they are ("+316...", not "\u002B316...").
    /// Safe because these bodies are never embedded in HTML.
    /// </summary>
    public static CoreJson Wire { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
