using System.Globalization;
using BotRouter.Core.Hours;

namespace BotRouter.Core.Processing;

/// <summary>
/// What the app does around the bot as time passes, whatever the bot: when a conversation starts afresh, when a
/// forgotten hand-over comes back, what a hand-over outside opening hours does. Built once from validated settings;
/// the defaults are the settings' defaults.
/// </summary>
/// <param name="SessionTimeout">
/// In bot mode, a customer message that arrives longer than this after the customer's last message (or the last
/// routing change) starts a new session (<c>Bot__SessionTimeout</c>).
/// </param>
/// <param name="AgentIdleTimeout">
/// In agent mode, a customer message that arrives longer than this after both the customer's last message and the
/// last routing change hands the chat back to the bot (<c>Routing__AgentIdleTimeout</c>); null: never.
/// </param>
public sealed record ConversationRules(TimeSpan SessionTimeout, TimeSpan? AgentIdleTimeout = null)
{
    public static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromMinutes(30);

    public static ConversationRules Default { get; } = new(DefaultSessionTimeout);

    /// <summary>Opening hours per team (<c>Routing__Hours__*</c>); none: hand-overs are never outside hours.</summary>
    public TeamHours Hours { get; init; } = TeamHours.None;

    /// <summary><c>Routing__OutOfHours</c>.</summary>
    public OutOfHoursPolicy OutOfHours { get; init; } = OutOfHoursPolicy.HandOver;

    /// <summary>Sent before a hand-over outside hours (<c>Routing__OutOfHoursNotice</c>); <c>{next}</c>: the next opening.</summary>
    public string OutOfHoursNotice { get; init; } = Configuration.RoutingOptions.DefaultOutOfHoursNotice;

    /// <summary>Sent instead of a hand-over outside hours with <c>keep-bot</c> (<c>Routing__LeaveMessageNotice</c>).</summary>
    public string LeaveMessageNotice { get; init; } = Configuration.RoutingOptions.DefaultLeaveMessageNotice;

    /// <summary>
    /// The next opening as the customer reads it, in the team's time zone: "Monday 7 December 09:00".
    /// English, whatever the customer's language: put your own words around it in the notice.
    /// </summary>
    public static string Format(DateTimeOffset? next) =>
        next is { } at ? at.ToString("dddd d MMMM HH:mm", CultureInfo.InvariantCulture) : "a later day";
}
