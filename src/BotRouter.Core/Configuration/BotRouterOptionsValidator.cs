using Microsoft.Extensions.Options;

namespace BotRouter.Core.Configuration;

/// <summary>Names the exact setting (as an environment variable) that is missing or wrong, one line each.</summary>
public sealed class BotRouterOptionsValidator : IValidateOptions<BotRouterOptions>
{
    public ValidateOptionsResult Validate(string? name, BotRouterOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.AccountId))
        {
            errors.Add("Missing required setting BotRouter__AccountId (the BotRouterAccountId GUID CM gave you).");
        }
        else if (!Guid.TryParse(options.AccountId, out _))
        {
            errors.Add("Setting BotRouter__AccountId must be a GUID.");
        }

        if (string.IsNullOrWhiteSpace(options.ProductToken))
        {
            errors.Add("Missing required setting BotRouter__ProductToken (the CM product token sent as X-CM-PRODUCTTOKEN).");
        }

        if (!options.BaseUrl.IsAbsoluteUri || (options.BaseUrl.Scheme != Uri.UriSchemeHttps && options.BaseUrl.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add("Setting BotRouter__BaseUrl must be an absolute http(s) URL.");
        }

        foreach (var (key, value) in new[]
                 {
                     ("SendPath", options.SendPath), ("MutationPath", options.MutationPath),
                     ("PositionPath", options.PositionPath), ("ResetPath", options.ResetPath),
                     ("BotComponentId", options.BotComponentId), ("AgentComponentId", options.AgentComponentId),
                 })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"Setting BotRouter__{key} must not be empty.");
            }
        }

        if (options.AttemptTimeout < TimeSpan.FromMilliseconds(100) || options.AttemptTimeout > TimeSpan.FromSeconds(30))
        {
            errors.Add("Setting BotRouter__AttemptTimeout must be between 00:00:00.1 and 00:00:30.");
        }

        if (!string.Equals(options.MutationFormat, MutationFormats.Component, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(options.MutationFormat, MutationFormats.Rule, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Setting BotRouter__MutationFormat must be '{MutationFormats.Component}' or '{MutationFormats.Rule}', not '{options.MutationFormat}'.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
