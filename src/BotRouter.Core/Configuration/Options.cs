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
    public string MutationPath { get; set; } = "conversational/control/v1/accounts/{accountId}/sessions/mutationrequests";
    public string PositionPath { get; set; } = "conversational/control/v1/accounts/{accountId}/sessions/positionrequests";
    public string ResetPath { get; set; } = "conversational/control/v1/accounts/{accountId}/sessions/{chatId}/reset";
    public string BotComponentId { get; set; } = "CmBot";
    public string AgentComponentId { get; set; } = "CustomerContact";

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

/// <summary>The bot. Bound from the <c>Bot</c> section.</summary>
public sealed class BotOptions
{
    public const string Section = "Bot";

    /// <summary>A flows JSON file; empty means the flows shipped with the app.</summary>
    public string? FlowsPath { get; set; }
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

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
