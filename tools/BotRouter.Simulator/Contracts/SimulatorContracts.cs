using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using BotRouter.Core.Contracts;

namespace BotRouter.Simulator.Contracts;

/// <summary>A customer types a message on a channel (the simulator plays the customer's phone).</summary>
public sealed record CustomerMessageRequest(string? Channel, string? From, string? Text, string? Name = null, string? Reference = null, string? To = null);

/// <summary>Where a customer message went: the bot's webhook (with its HTTP status) or the agent inbox.</summary>
public sealed record CustomerMessageResult(string ChatId, string Reference, string DeliveredTo, int? WebhookStatus, string? WebhookError);

public sealed record AgentMessageRequest(string? ChatId, string? Text);

public sealed record AgentCommandRequest(string? ChatId, string? FlowId = null, string? StepId = null);

/// <summary>What the app's operator API answered to the agent console.</summary>
public sealed record AgentCommandResult(string ChatId, string Command, int AppStatus, string? AppBody);

/// <summary>The app's hand-back body.</summary>
public sealed record HandBackBody(string FlowId, string StepId);

public sealed record TranscriptEntry(
    DateTimeOffset At,
    string Sender,
    string Text,
    string? Reference,
    string? DeliveredTo,
    IReadOnlyList<BmSuggestion>? Suggestions)
{
    /// <summary>Images, documents and other media of a bot reply (rich content), shown as links.</summary>
    public IReadOnlyList<BmMedia>? Media { get; init; }

    /// <summary>A bot reply's delivery status as CM reports it (accepted, delivered, read); null for other entries.</summary>
    public string? DeliveryStatus { get; init; }
}

public sealed record TimelineEntry(DateTimeOffset At, string Kind, string Summary, int Status);

public sealed record BotPosition(string FlowId, string StepId, DateTimeOffset At);

public sealed record ComponentStates(string Mode, bool BotEnabled, bool AgentEnabled, string BotComponentId, string AgentComponentId);

public sealed record ChatSummary(
    string ChatId,
    string Channel,
    string CustomerNumber,
    string? CustomerName,
    string BusinessNumber,
    ComponentStates Components,
    IReadOnlyDictionary<string, string>? Context,
    BotPosition? Position,
    int MessageCount,
    int AgentInboxCount,
    int RejectedBotSends,
    DateTimeOffset LastActivityUtc);

public sealed record ChatDetail(
    ChatSummary Chat,
    IReadOnlyList<TranscriptEntry> Transcript,
    IReadOnlyList<TimelineEntry> Timeline);

/// <summary>A customer message the router gave to Customer Contact because the bot was disabled.</summary>
public sealed record AgentInboxItem(string ChatId, string Channel, string CustomerNumber, IReadOnlyDictionary<string, string>? Context, TranscriptEntry Message);

/// <summary>One HTTP call the simulator received (CM API) or made (webhook, operator API), with exact bodies. Never the product token.</summary>
public sealed record CallRecord(
    long Id,
    DateTimeOffset At,
    string Direction,
    string Kind,
    string Method,
    string Path,
    string? ChatId,
    bool? ProductTokenValid,
    string? RequestBody,
    int Status,
    string? ResponseBody);

public sealed record SimulatorStats(
    int Chats,
    long Calls,
    long BotSends,
    long AcceptedBotSends,
    long RejectedBotSends,
    long Mutations,
    long Positions,
    long RefusedPositions,
    long Resets,
    long AuthenticationFailures,
    long WebhookPosts,
    long WebhookFailures,
    long WebhookRetries,
    long AgentInboxMessages,
    long StatusReports,
    long StatusReportFailures);

/// <summary>
/// A delivery status report as CM posts it to the app (<c>POST {app}/api/status</c>). CM's status codes:
/// 0 accepted, 1 rejected, 2 delivered, 3 failed, 4 read.
/// </summary>
public sealed record StatusReport(StatusReportMessages Messages);

public sealed record StatusReportMessages(StatusReportMessage Msg);

public sealed record StatusReportMessage(DateTimeOffset Received, string To, string Reference, StatusReportStatus Status, string? Operator);

/// <summary><c>errorCode</c> and <c>errorDescription</c> are written as null when there is no error, like CM.</summary>
public sealed record StatusReportStatus(int Code, int? ErrorCode, string? ErrorDescription);

/// <summary>Source-generated JSON for the simulator's own API and for CM-style answers (nulls written, like CM).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CustomerMessageRequest))]
[JsonSerializable(typeof(CustomerMessageResult))]
[JsonSerializable(typeof(AgentMessageRequest))]
[JsonSerializable(typeof(AgentCommandRequest))]
[JsonSerializable(typeof(AgentCommandResult))]
[JsonSerializable(typeof(HandBackBody))]
[JsonSerializable(typeof(ChatDetail))]
[JsonSerializable(typeof(IReadOnlyList<ChatSummary>))]
[JsonSerializable(typeof(IReadOnlyList<AgentInboxItem>))]
[JsonSerializable(typeof(IReadOnlyList<CallRecord>))]
[JsonSerializable(typeof(SimulatorStats))]
[JsonSerializable(typeof(BmSendResponse))]
[JsonSerializable(typeof(ComponentStates))]
[JsonSerializable(typeof(TranscriptEntry))]
[JsonSerializable(typeof(MoMessage))]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(string))]
public sealed partial class SimulatorJson : JsonSerializerContext
{
    /// <summary>Like <see cref="Default"/>, but writes <c>+</c>, quotes and non-ASCII as they are, so logged bodies stay readable.</summary>
    // Lazy: static initialisers of partial classes in other files (the generated Default) have no guaranteed order.
    private static SimulatorJson? readableCache;

    public static SimulatorJson Readable =>
        readableCache ??= new(new JsonSerializerOptions(Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
