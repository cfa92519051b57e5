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

/// <summary>The values of <c>BotRouter__MutationFormat</c>.</summary>
public static class MutationFormats
{
    public const string Component = "component";
    public const string Rule = "rule";
}
