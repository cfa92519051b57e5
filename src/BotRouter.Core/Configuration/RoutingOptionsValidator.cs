using Microsoft.Extensions.Options;

namespace BotRouter.Core.Configuration;

/// <summary>Names the exact <c>Routing__*</c> setting that is wrong, one line each; parses every team's opening hours.</summary>
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

        Hours.TeamHours.Parse(options.Hours, errors);
        var policy = options.OutOfHours?.Trim();
        if (!string.Equals(policy, RoutingOptions.HandOverPolicy, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(policy, RoutingOptions.KeepBotPolicy, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Setting Routing__OutOfHours must be '{RoutingOptions.HandOverPolicy}' or '{RoutingOptions.KeepBotPolicy}', not '{options.OutOfHours}'.");
        }

        if (string.IsNullOrWhiteSpace(options.OutOfHoursNotice))
        {
            errors.Add("Setting Routing__OutOfHoursNotice must not be empty (leave it unset for the default).");
        }

        if (string.IsNullOrWhiteSpace(options.LeaveMessageNotice))
        {
            errors.Add("Setting Routing__LeaveMessageNotice must not be empty (leave it unset for the default).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
