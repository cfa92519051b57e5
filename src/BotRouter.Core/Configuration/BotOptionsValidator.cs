using Microsoft.Extensions.Options;

namespace BotRouter.Core.Configuration;

/// <summary>Checks the settings of the chosen bot kind only, naming each wrong setting in one line; loads the flows file for <c>flows</c>.</summary>
public sealed class BotOptionsValidator : IValidateOptions<BotOptions>
{
    public ValidateOptionsResult Validate(string? name, BotOptions options)
    {
        var errors = new List<string>();
        if (!BotKinds.All.Any(options.Is))
        {
            errors.Add($"Setting Bot__Kind must be one of {string.Join(", ", BotKinds.All)}, not '{options.Kind}'.");
        }
        else if (options.Is(BotKinds.Flows))
        {
            if (options.FlowsPath is { Length: > 0 } path && Flows.FlowSetValidator.TryLoadFile(path, out var problem) is null)
            {
                errors.Add($"Setting Bot__FlowsPath: {problem}");
            }
        }
        else if (options.Is(BotKinds.Rest))
        {
            if (options.Url is null || options.Url.OriginalString.Length == 0)
            {
                errors.Add("Missing required setting Bot__Url (the REST bot's endpoint, e.g. http://host:5005/webhooks/rest/webhook).");
            }
            else if (!IsHttp(options.Url))
            {
                errors.Add("Setting Bot__Url must be an absolute http(s) URL.");
            }
        }
        else
        {
            if (options.Endpoint is null || options.Endpoint.OriginalString.Length == 0)
            {
                errors.Add("Missing required setting Bot__Endpoint (base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1).");
            }
            else if (!IsHttp(options.Endpoint))
            {
                errors.Add("Setting Bot__Endpoint must be an absolute http(s) URL.");
            }

            if (string.IsNullOrWhiteSpace(options.Model))
            {
                errors.Add("Missing required setting Bot__Model (the model name, e.g. gpt-4o-mini).");
            }

            if (string.IsNullOrWhiteSpace(options.Instructions))
            {
                errors.Add("Setting Bot__Instructions must not be empty (leave it unset for the default).");
            }

            if (options.MemoryTurns is < 1 or > 100)
            {
                errors.Add("Setting Bot__MemoryTurns must be between 1 and 100.");
            }

            if (options.MemoryChars < 1_000 || options.MemoryChars > Bots.BotAnswer.MaxStateChars)
            {
                errors.Add($"Setting Bot__MemoryChars must be between 1000 and {Bots.BotAnswer.MaxStateChars}.");
            }
        }

        if (!options.Is(BotKinds.Flows) && (options.Timeout < TimeSpan.FromSeconds(1) || options.Timeout > TimeSpan.FromSeconds(18)))
        {
            errors.Add("Setting Bot__Timeout must be a duration between 00:00:01 and 00:00:18 (three attempts must fit in a chat lease of 60 s).");
        }

        if (string.IsNullOrWhiteSpace(options.Fallback))
        {
            errors.Add("Setting Bot__Fallback must not be empty.");
        }

        if (options.SessionTimeout <= TimeSpan.Zero)
        {
            errors.Add("Setting Bot__SessionTimeout must be a positive duration, e.g. 00:30:00.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsHttp(Uri uri) => uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
}
