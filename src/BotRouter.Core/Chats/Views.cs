namespace BotRouter.Core.Chats;

/// <summary>What <c>GET /api/chats/{chatId}</c> shows. Phone numbers are left out on purpose.</summary>
/// <param name="Component">The component that answers the customer: the bot component in bot mode, the agent component in agent mode.</param>
public sealed record ChatView(
    string ChatId,
    RoutingMode Mode,
    string Component,
    string? FlowId,
    string? StepId,
    IReadOnlyDictionary<string, string> Context,
    string? Channel,
    DateTimeOffset UpdatedUtc,
    IReadOnlyList<HistoryView> History)
{
    public static ChatView Of(ChatState s, Routing.RouterComponents components, IReadOnlyDictionary<string, Delivery.DeliveryStatus> deliveries) =>
        new(s.ChatId, s.Mode, components.Owner(s.Mode), s.FlowId, s.StepId, s.Context, s.Channel, s.UpdatedUtc, [.. s.History.Select(h => HistoryView.Of(h, deliveries))]);
}

/// <summary>One history entry as shown; a reply CM accepted also shows what CM last reported of its delivery.</summary>
public sealed record HistoryView(DateTimeOffset TimeUtc, string Actor, string Action, string Outcome, string? Reference, string? Delivery)
{
    public static HistoryView Of(HistoryEntry h, IReadOnlyDictionary<string, Delivery.DeliveryStatus> deliveries) =>
        new(h.TimeUtc, h.Actor, h.Action, h.Outcome, h.Reference,
            h.Reference is { } r && deliveries.TryGetValue(r, out var status) ? status.ToString().ToLowerInvariant() : null);
}

/// <summary>What <c>GET /api/flows</c> shows: the bot kind and the ids a hand-back may name (none for a bot without flows).</summary>
public sealed record FlowsView(IReadOnlyList<FlowView> Flows, string? Kind = null, string? Note = null);

public sealed record FlowView(string Id, string? Title, IReadOnlyList<StepView> Steps);

public sealed record StepView(string Id, string Prompt, string Kind);

/// <summary>The queue message body: "this chat has work". The work itself waits in the chat's inbox or outbox.</summary>
/// <param name="TraceParent">The W3C traceparent of the hop that queued it, so the trace continues.</param>
/// <param name="Replay">Set by an operator's replay: a chat parked on a refused call tries that call again.</param>
public sealed record QueueSignal(string ChatId, string? TraceParent = null, bool Replay = false);

/// <summary>What <c>GET /api/hours</c> shows: the out-of-hours policy and each team's opening hours, open now or when next.</summary>
public sealed record HoursView(string OutOfHours, DateTimeOffset Now, IReadOnlyList<TeamHoursView> Teams, string? Note = null)
{
    public static HoursView Of(Processing.ConversationRules rules, DateTimeOffset now)
    {
        var teams = rules.Hours.All
            .OrderBy(h => h.Team, StringComparer.Ordinal)
            .Select(h => new TeamHoursView(
                h.Team,
                h.TimeZoneId,
                h.Weekly,
                [.. h.Closed.Order().Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))],
                h.IsOpen(now),
                h.NextOpening(now)))
            .ToList();
        var policy = rules.OutOfHours == Hours.OutOfHoursPolicy.KeepBot ? Configuration.RoutingOptions.KeepBotPolicy : Configuration.RoutingOptions.HandOverPolicy;
        return new HoursView(policy, now, teams, teams.Count == 0
            ? "No opening hours are set (Routing__Hours__<team>__*): every hand-over goes ahead at once."
            : teams.Any(t => t.Team == Hours.TeamHours.DefaultTeam) ? null
            : "No default hours: a hand-over to a team not listed goes ahead at once.");
    }
}

/// <param name="NextOpening">In the team's time zone; now when open.</param>
public sealed record TeamHoursView(string Team, string TimeZone, string Weekly, IReadOnlyList<string> Closed, bool OpenNow, DateTimeOffset? NextOpening);
