using Microsoft.Extensions.Options;

namespace BotRouter.Core.Configuration;

/// <summary>How to reach the CM Bot Router. Bound from the <c>BotRouter</c> section (<c>BotRouter__*</c> settings).</summary>
public sealed class BotRouterOptions
{
    public const string Section = "BotRouter";

    public Uri BaseUrl { get; set; } = new("https://api.cm.com/");
    public string AccountId { get; set; } = string.Empty;

    /// <summary>Sent as <c>X-CM-PRODUCTTOKEN</c>. Never logged.</summary>
    public string ProductToken { get; set; } = string.Empty;
    public string SendPath { get; set; } = "conversational/bmproxy/v1/accounts/{accountId}";
    public string MutationPath { get; set; } = "conversational/control/v1/accounts/{accountId}/chats/{chatId}/routing/mutationrequests";

    /// <summary>The mutation body: <c>component</c> (the seed's, default) or <c>rule</c> (CM's current routing-control docs).</summary>
    public string MutationFormat { get; set; } = MutationFormats.Component;
    public string PositionPath { get; set; } = "conversational/control/v1/accounts/{accountId}/sessions/positionrequests";
    public string ResetPath { get; set; } = "conversational/control/v1/accounts/{accountId}/sessions/{chatId}/reset";
    public string BotComponentId { get; set; } = "CmBot";
    public string AgentComponentId { get; set; } = "CustomerContact";

    /// <summary>How long one attempt of a Bot Router call may take before it counts as a timeout and is retried.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public override string ToString() => $"BotRouter {{ BaseUrl = {BaseUrl}, AccountId = {AccountId}, ProductToken = *** }}";
}

/// <summary>The inbound webhook. Bound from the <c>Webhook</c> section.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhook";

    /// <summary>When set, <c>POST /api/webhook</c> requires header <c>X-Webhook-Secret</c> with this value.</summary>
    public string? SharedSecret { get; set; }

    public override string ToString() => $"Webhook {{ SharedSecret = {(string.IsNullOrEmpty(SharedSecret) ? "off" : "***")} }}";
}

/// <summary>The values of <c>BotRouter__MutationFormat</c>.</summary>
public static class MutationFormats
{
    public const string Component = "component";
    public const string Rule = "rule";
}

/// <summary>The values of <c>Bot__Kind</c>.</summary>
public static class BotKinds
{
    public const string Flows = "flows";
    public const string Rest = "rest";
    public const string OpenAi = "openai";

    public static readonly IReadOnlyList<string> All = [Flows, Rest, OpenAi];
}

/// <summary>The bot. Bound from the <c>Bot</c> section.</summary>
public sealed class BotOptions
{
    public const string Section = "Bot";
    public const string DefaultInstructions =
        "You are the customer service assistant of this business, chatting with a customer on a messaging channel. " +
        "Answer briefly and politely in the customer's language. When you cannot help, or the customer asks for a person, " +
        "call handover_to_agent.";

    /// <summary><c>flows</c> (default), <c>rest</c> or <c>openai</c>: which bot answers.</summary>
    public string Kind { get; set; } = BotKinds.Flows;

    /// <summary>A flows JSON file; empty means the flows shipped with the app.</summary>
    public string? FlowsPath { get; set; }

    /// <summary>The REST bot's endpoint (<c>rest</c>).</summary>
    public Uri? Url { get; set; }

    /// <summary>Base URL of an OpenAI-compatible API (<c>openai</c>), e.g. <c>https://api.openai.com/v1</c>.</summary>
    public Uri? Endpoint { get; set; }
    public string? Model { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c>; may be empty for local servers. Never logged.</summary>
    public string? ApiKey { get; set; }
    public string Instructions { get; set; } = DefaultInstructions;

    /// <summary>How many earlier customer/bot exchanges the <c>openai</c> bot remembers per chat.</summary>
    public int MemoryTurns { get; set; } = 10;

    /// <summary>How many characters the <c>openai</c> bot's memory of a chat may take; the oldest turns go first.</summary>
    public int MemoryChars { get; set; } = 12_000;

    /// <summary>One attempt's time limit for a <c>rest</c> or <c>openai</c> bot call (retried up to twice).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>After this long without a customer message, the next one starts a new session (every bot kind).</summary>
    public TimeSpan SessionTimeout { get; set; } = Processing.ConversationRules.DefaultSessionTimeout;

    /// <summary>What the customer is told when a bot's answer cannot be understood.</summary>
    public string Fallback { get; set; } = "Sorry, something went wrong on our side. Please try again in a moment.";

    public bool Is(string kind) => string.Equals(Kind?.Trim(), kind, StringComparison.OrdinalIgnoreCase);

    public override string ToString() =>
        $"Bot {{ Kind = {Kind}, Url = {Url}, Endpoint = {Endpoint}, Model = {Model}, ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "none" : "***")} }}";
}

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
