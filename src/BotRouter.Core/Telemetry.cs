using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace BotRouter.Core;

/// <summary>
/// The app's traces and metrics. One trace follows a message across its hop (webhook → inbound queue →
/// chat processor → router calls): the queue signal carries the W3C traceparent.
/// </summary>
public static class BotRouterTelemetry
{
    public const string Name = "BotRouter";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> MessagesReceived = Meter.CreateCounter<long>("botrouter.messages.received", description: "Customer messages accepted by the webhook (duplicates excluded).");
    public static readonly Counter<long> RepliesSent = Meter.CreateCounter<long>("botrouter.replies.sent", description: "Replies CM accepted.");
    public static readonly Counter<long> HandOvers = Meter.CreateCounter<long>("botrouter.handovers", description: "Chats handed to an agent (by the bot or an operator).");
    public static readonly Counter<long> Poisoned = Meter.CreateCounter<long>("botrouter.poisoned", description: "Chats parked in a poison queue because CM refused a call.");
    public static readonly Counter<long> DeliveryReports = Meter.CreateCounter<long>("botrouter.delivery.reports", description: "CM delivery status reports received, by status (delivered, failed, read, ...).");
    public static readonly Counter<long> SessionsExpired = Meter.CreateCounter<long>("botrouter.sessions.expired", description: "Bot-mode conversations started afresh because the customer came back after Bot__SessionTimeout.");
    public static readonly Counter<long> AutomaticHandBacks = Meter.CreateCounter<long>("botrouter.handbacks.automatic", description: "Chats handed back to the bot because an agent left them idle longer than Routing__AgentIdleTimeout.");
    public static readonly Counter<long> HandOversOutsideHours = Meter.CreateCounter<long>("botrouter.handovers.outside_hours", description: "Hand-overs outside their team's opening hours, by team and outcome (handover: after a notice; keep-bot: the bot kept the chat).");
    public static readonly Histogram<double> RouterCallDuration = Meter.CreateHistogram<double>("botrouter.router.call.duration", unit: "ms", description: "Bot Router call latency, retries included.");

    /// <summary>Starts a processing span whose parent is the hop that queued the signal.</summary>
    public static Activity? StartHop(string name, ActivityKind kind, string? traceParent, string chatId)
    {
        ActivityContext.TryParse(traceParent, null, out var parent);
        var activity = Source.StartActivity(name, kind, parent);
        activity?.SetTag("botrouter.chat_id", chatId);
        return activity;
    }
}
