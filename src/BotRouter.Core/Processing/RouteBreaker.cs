using System.Collections.Concurrent;
using BotRouter.Core.Configuration;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Options;

namespace BotRouter.Core.Processing;

/// <summary>
/// Stops making a kind of call that the Bot Router refuses for every chat (a wrong path or product token):
/// after <see cref="ProcessingOptions.RefusalsBeforePause"/> refusals in a row with no acceptance, that kind
/// is paused for <see cref="ProcessingOptions.RefusalPause"/>, then one call tries again.
/// </summary>
public sealed class RouteBreaker(IOptions<ProcessingOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<RouterCallKind, RouteHealth> routes = new();

    /// <summary>When the kind is paused: until when, and the refusal that paused it.</summary>
    public RoutePause? PausedFor(RouterCallKind kind) =>
        routes.TryGetValue(kind, out var health) && health.PausedUntil > time.GetUtcNow()
            ? new RoutePause(kind, health.PausedUntil, health.LastRefusal ?? string.Empty)
            : null;

    public IReadOnlyList<RoutePause> Paused() =>
        [.. Enum.GetValues<RouterCallKind>().Select(PausedFor).OfType<RoutePause>()];

    public void Accepted(RouterCallKind kind) => routes[kind] = new RouteHealth(0, DateTimeOffset.MinValue, null);

    public void Refused(RouterCallKind kind, string reason) =>
        routes.AddOrUpdate(
            kind,
            _ => Next(new RouteHealth(0, DateTimeOffset.MinValue, null), reason),
            (_, health) => Next(health, reason));

    private RouteHealth Next(RouteHealth health, string reason)
    {
        var refusals = health.Refusals + 1;
        var o = options.Value;
        return refusals >= o.RefusalsBeforePause
            ? new RouteHealth(0, time.GetUtcNow() + o.RefusalPause, reason)
            : health with { Refusals = refusals, LastRefusal = reason };
    }

    private sealed record RouteHealth(int Refusals, DateTimeOffset PausedUntil, string? LastRefusal);
}

/// <summary>A call kind the app does not make for now, because the Bot Router refused it for every chat.</summary>
public sealed record RoutePause(RouterCallKind Kind, DateTimeOffset Until, string LastRefusal);
