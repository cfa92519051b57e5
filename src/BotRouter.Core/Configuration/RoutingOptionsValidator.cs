using Microsoft.Extensions.Options;

namespace BotRouter.Core.Configuration;

/// <summary>Names the exact <c>Routing__*</c> setting that is wrong, one line each.</summary>
public sealed class RoutingOptionsValidator : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.AgentIdleTimeout)
            && (!Durations.TryParse(options.AgentIdleTimeout, out var idle) || idle <= TimeSpan.Zero))
        {
            errors.Add("Setting Routing__AgentIdleTimeout must be a positive duration, e.g. 24:00:00 (leave it unset to never hand back on its own).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
