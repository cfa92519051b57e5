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

    /// <summary>Delivery attempts per MO when the webhook does not answer 200 (1: no retry).</summary>
    public int WebhookMaxAttempts { get; set; } = 5;

    /// <summary>The pause before a webhook retry (CM waits minutes; shorter here for development).</summary>
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one webhook or operator call to the app may take.</summary>
    public TimeSpan AppTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Post a delivery status report to <c>{AppBaseUrl}/api/status</c> for each bot reply accepted through BMProxy
    /// (CM does so when status reports are configured for the account).
    /// </summary>
    public bool StatusReports { get; set; } = true;

    /// <summary>After "delivered", also report "read" (WhatsApp and other chat channels do; SMS does not).</summary>
    public bool StatusReportRead { get; set; } = true;

    /// <summary>The pause between the accepted send and "delivered", and between "delivered" and "read".</summary>
    public TimeSpan StatusReportDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Posts per report when the app does not answer 200 (CM retries for days; bounded here).</summary>
    public int StatusReportMaxAttempts { get; set; } = 3;

    /// <summary>The pause before a status report retry.</summary>
    public TimeSpan StatusReportRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Binds the <c>Simulator</c> section and fills the gaps from the app's own settings
    /// (see <see cref="WithFallbacks"/>), so one set of environment variables configures both sides.
    /// </summary>
    public static SimulatorOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new SimulatorOptions();
        configuration.GetSection(Section).Bind(options);
        return options.WithFallbacks(configuration);
    }

    /// <summary>
    /// A copy whose empty settings come from the app's keys: <c>BotRouter:AccountId</c> (else
    /// <see cref="DevelopmentAccountId"/>), <c>BotRouter:ProductToken</c>, <c>Webhook:SharedSecret</c>.
    /// </summary>
    public SimulatorOptions WithFallbacks(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var copy = (SimulatorOptions)MemberwiseClone();
        if (string.IsNullOrWhiteSpace(copy.AccountId))
        {
            copy.AccountId = configuration["BotRouter:AccountId"] is { Length: > 0 } account ? account : DevelopmentAccountId;
        }

        if (string.IsNullOrWhiteSpace(copy.ProductToken))
        {
            copy.ProductToken = configuration["BotRouter:ProductToken"] ?? string.Empty;
        }

        if (string.IsNullOrWhiteSpace(copy.WebhookSecret))
        {
            copy.WebhookSecret = configuration["Webhook:SharedSecret"] is { Length: > 0 } secret ? secret : null;
        }

        return copy;
    }

    /// <summary>One line per wrong setting, named as the environment variable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Guid.TryParse(AccountId, out _))
        {
            errors.Add("Setting Simulator__AccountId (or BotRouter__AccountId) must be a GUID.");
        }

        if (!AppBaseUrl.IsAbsoluteUri)
        {
            errors.Add("Setting Simulator__AppBaseUrl must be an absolute http(s) URL.");
        }

        if (string.IsNullOrWhiteSpace(BotComponentId) || string.IsNullOrWhiteSpace(AgentComponentId))
        {
            errors.Add("Settings Simulator__BotComponentId and Simulator__AgentComponentId must not be empty.");
        }

        if (WebhookMaxAttempts < 1 || WebhookRetryDelay < TimeSpan.Zero)
        {
            errors.Add("Settings Simulator__WebhookMaxAttempts (>= 1) and Simulator__WebhookRetryDelay (>= 0) are out of range.");
        }

        if (StatusReportMaxAttempts < 1 || StatusReportDelay < TimeSpan.Zero || StatusReportRetryDelay < TimeSpan.Zero)
        {
            errors.Add("Settings Simulator__StatusReportMaxAttempts (>= 1), Simulator__StatusReportDelay and Simulator__StatusReportRetryDelay (>= 0) are out of range.");
        }

        if (string.IsNullOrWhiteSpace(BusinessNumber))
        {
            errors.Add("Setting Simulator__BusinessNumber must not be empty.");
        }

        return errors;
    }

    public override string ToString() =>
        $"Simulator {{ Urls = {Urls}, AppBaseUrl = {AppBaseUrl}, AccountId = {AccountId}, ProductToken = {(ProductToken.Length == 0 ? "any" : "***")}, WebhookSecret = {(string.IsNullOrEmpty(WebhookSecret) ? "off" : "***")}, StatusReports = {(StatusReports ? (StatusReportRead ? "delivered+read" : "delivered") : "off")} }}";
}
