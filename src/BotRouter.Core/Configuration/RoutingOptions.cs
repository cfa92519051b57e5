namespace BotRouter.Core.Configuration;

/// <summary>What the app does around hand-overs. Bound from the <c>Routing</c> section (<c>Routing__*</c> settings).</summary>
public sealed class RoutingOptions
{
    public const string Section = "Routing";

    /// <summary>
    /// A chat in agent mode whose customer and operators were silent this long is handed back to the bot when the
    /// customer writes again; empty (the default) never does. A duration such as <c>24:00:00</c> or <c>1.00:00:00</c>
    /// (kept as text: .NET's own binding refuses 24 hours written as <c>24:00:00</c>).
    /// </summary>
    public string? AgentIdleTimeout { get; set; }

    /// <summary>The parsed <see cref="AgentIdleTimeout"/>; null when off (or invalid, which the validator refuses at start).</summary>
    public TimeSpan? AgentIdle => Durations.TryParse(AgentIdleTimeout, out var idle) && idle > TimeSpan.Zero ? idle : null;
}
