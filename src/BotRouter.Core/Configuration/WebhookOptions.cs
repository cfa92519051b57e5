namespace BotRouter.Core.Configuration;

/// <summary>The inbound webhook. Bound from the <c>Webhook</c> section.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhook";

    /// <summary>When set, <c>POST /api/webhook</c> requires header <c>X-Webhook-Secret</c> with this value.</summary>
    public string? SharedSecret { get; set; }

    public override string ToString() => $"Webhook {{ SharedSecret = {(string.IsNullOrEmpty(SharedSecret) ? "off" : "***")} }}";
}
