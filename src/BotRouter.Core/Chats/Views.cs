namespace BotRouter.Core.Chats;

/// <summary>What <c>GET /api/chats/{chatId}</c> shows. Phone numbers are left out on purpose.</summary>
public sealed record ChatView(
    string ChatId,
    RoutingMode Mode,
    string? FlowId,
    string? StepId,
    IReadOnlyDictionary<string, string> Context,
    string? Channel,
    DateTimeOffset UpdatedUtc,
    IReadOnlyList<HistoryEntry> History)
{
    public static ChatView Of(ChatState s) =>
        new(s.ChatId, s.Mode, s.FlowId, s.StepId, s.Context, s.Channel, s.UpdatedUtc, s.History);
}

/// <summary>What <c>GET /api/flows</c> shows: the bot kind and the ids a hand-back may name (none for a bot without flows).</summary>
public sealed record FlowsView(IReadOnlyList<FlowView> Flows, string? Kind = null, string? Note = null);

public sealed record FlowView(string Id, string? Title, IReadOnlyList<StepView> Steps);

public sealed record StepView(string Id, string Prompt, string Kind);

/// <summary>The queue message body: "this chat has work". The work itself waits in the chat's inbox or outbox.</summary>
/// <param name="TraceParent">The W3C traceparent of the hop that queued it, so the trace continues.</param>
public sealed record QueueSignal(string ChatId, string? TraceParent = null);
