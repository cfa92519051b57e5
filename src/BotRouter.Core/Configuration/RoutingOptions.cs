using BotRouter.Core.Hours;

namespace BotRouter.Core.Configuration;

/// <summary>What the app does around hand-overs. Bound from the <c>Routing</c> section (<c>Routing__*</c> settings).</summary>
public sealed class RoutingOptions
{
    public const string Section = "Routing";
    public const string HandOverPolicy = "handover";
    public const string KeepBotPolicy = "keep-bot";
    public const string DefaultOutOfHoursNotice = "Our colleagues are not available right now. They are back on {next} and will answer you here then.";
    public const string DefaultLeaveMessageNotice = "Our colleagues are not available right now; they are back on {next}. Leave your message here and we will get back to you.";

    /// <summary>
    /// A chat in agent mode whose customer and operators were silent this long is handed back to the bot when the
    /// customer writes again; empty (the default) never does. A duration such as <c>24:00:00</c> or <c>1.00:00:00</c>
    /// (kept as text: .NET's own binding refuses 24 hours written as <c>24:00:00</c>).
    /// </summary>
    public string? AgentIdleTimeout { get; set; }

    /// <summary>The parsed <see cref="AgentIdleTimeout"/>; null when off (or invalid, which the validator refuses at start).</summary>
    public TimeSpan? AgentIdle => Durations.TryParse(AgentIdleTimeout, out var idle) && idle > TimeSpan.Zero ? idle : null;

    /// <summary>Opening hours per team (the hand-over context's <c>team</c>), and <c>default</c> for the rest.</summary>
    public Dictionary<string, TeamHoursOptions> Hours { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary><c>handover</c> (default) or <c>keep-bot</c>: what a hand-over outside opening hours does.</summary>
    public string OutOfHours { get; set; } = HandOverPolicy;

    /// <summary>Sent before a hand-over outside opening hours; <c>{next}</c> is the next opening time in the team's zone.</summary>
    public string OutOfHoursNotice { get; set; } = DefaultOutOfHoursNotice;

    /// <summary>Sent instead of a hand-over outside opening hours with <c>keep-bot</c>; <c>{next}</c> as above.</summary>
    public string LeaveMessageNotice { get; set; } = DefaultLeaveMessageNotice;

    public OutOfHoursPolicy Policy =>
        string.Equals(OutOfHours?.Trim(), KeepBotPolicy, StringComparison.OrdinalIgnoreCase) ? OutOfHoursPolicy.KeepBot : OutOfHoursPolicy.HandOver;
}
