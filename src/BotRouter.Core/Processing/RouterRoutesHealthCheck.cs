using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BotRouter.Core.Processing;

/// <summary>Degraded while a kind of Bot Router call is paused because the router refused it for every chat.</summary>
public sealed class RouterRoutesHealthCheck(RouteBreaker breaker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var paused = breaker.Paused();
        return Task.FromResult(paused.Count == 0
            ? HealthCheckResult.Healthy("ok")
            : HealthCheckResult.Degraded(string.Join("; ", paused.Select(p =>
                $"{p.Kind.ToString().ToLowerInvariant()} calls paused until {p.Until:u}: refused for every chat ({p.LastRefusal})"))));
    }
}
