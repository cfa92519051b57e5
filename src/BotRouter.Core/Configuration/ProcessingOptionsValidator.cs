using Microsoft.Extensions.Options;

namespace BotRouter.Core.Configuration;

/// <summary>Names the exact setting that is out of range, one line each.</summary>
public sealed class ProcessingOptionsValidator : IValidateOptions<ProcessingOptions>
{
    public ValidateOptionsResult Validate(string? name, ProcessingOptions options)
    {
        var errors = new List<string>();
        if (options.LeaseDuration < TimeSpan.FromSeconds(3) || options.LeaseDuration > TimeSpan.FromMinutes(5))
        {
            errors.Add("Setting Processing__LeaseDuration must be between 00:00:03 and 00:05:00.");
        }

        if (options.RetryAttempts is < 1 or > 30)
        {
            errors.Add("Setting Processing__RetryAttempts must be between 1 and 30.");
        }

        if (options.RetryDelayMax < TimeSpan.FromSeconds(1) || options.RetryDelayMax > TimeSpan.FromDays(6))
        {
            errors.Add("Setting Processing__RetryDelayMax must be between 00:00:01 and 6.00:00:00.");
        }

        if (options.RefusalsBeforePause < 1)
        {
            errors.Add("Setting Processing__RefusalsBeforePause must be at least 1.");
        }

        if (options.RefusalPause <= TimeSpan.Zero)
        {
            errors.Add("Setting Processing__RefusalPause must be a positive duration.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
