using Microsoft.Extensions.Configuration;

namespace BotRouter.Simulator;

/// <summary>How the fake Bot Router runs. Bound from the <c>Simulator</c> section (<c>Simulator__*</c> settings).</summary>
public sealed class SimulatorOptions
{
    public const string Section = "Simulator";

    /// <summary>Used when neither <c>Simulator:AccountId</c> nor <c>BotRouter:AccountId</c> is set (the seed's example account).</summary>
    public const string DevelopmentAccountId = "e17acdef-c918-423d-a01b-1000cd084f6a";

    /// <summary>Where the simulator listens; port 0 picks a free port (tests).</summary>
    public string Urls { get; set; } = "http://127.0.0.1:7072";

    /// <summary>The bot app: MO webhooks go to <c>{AppBaseUrl}/api/webhook</c>, the agent console uses its operator API.</summary>
    public Uri AppBaseUrl { get; set; } = new("http://127.0.0.1:7071");

    /// <summary>The only BotRouterAccountId the simulator knows; others answer 404.</summary>
    public string AccountId { get; set; } = string.Empty;

    /// <summary>The expected <c>X-CM-PRODUCTTOKEN</c>. Empty: any non-empty token is accepted. Never logged.</summary>
    public string ProductToken { get; set; } = string.Empty;

    /// <summary>The business side of every simulated conversation (MO <c>to.number</c>).</summary>
    public string BusinessNumber { get; set; } = "+3197010000000";

    /// <summary>Sent as <c>X-Webhook-Secret</c> on MO webhooks when set. Never logged.</summary>
    public string? WebhookSecret { get; set; }

    public string BotComponentId { get; set; } = "CmBot";
    public string AgentComponentId { get; set; } = "CustomerContact";

    /// <summary>How long one webhook or operator call to the app may take.</summary>
    public TimeSpan AppTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Binds the <c>Simulator</c> section and fills gaps from the app's own settings
    /// (<c>BotRouter:AccountId</c>, <c>BotRouter:ProductToken</c>, <c>Webhook:SharedSecret</c>),
    /// so one set of environment variables configures both sides.
    /// </summary>
    public static SimulatorOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new SimulatorOptions();
        configuration.GetSection(Section).Bind(options);
        if (string.IsNullOrWhiteSpace(options.AccountId))
        {
            options.AccountId = configuration["BotRouter:AccountId"] is { Length: > 0 } account ? account : DevelopmentAccountId;
        }

        if (string.IsNullOrWhiteSpace(options.ProductToken))
        {
            options.ProductToken = configuration["BotRouter:ProductToken"] ?? string.Empty;
        }

        if (string.IsNullOrWhiteSpace(options.WebhookSecret))
        {
            options.WebhookSecret = configuration["Webhook:SharedSecret"] is { Length: > 0 } secret ? secret : null;
        }

        return options;
    }

    public override string ToString() =>
        $"Simulator {{ Urls = {Urls}, AppBaseUrl = {AppBaseUrl}, AccountId = {AccountId}, ProductToken = {(ProductToken.Length == 0 ? "any" : "***")}, WebhookSecret = {(string.IsNullOrEmpty(WebhookSecret) ? "off" : "***")} }}";
}
