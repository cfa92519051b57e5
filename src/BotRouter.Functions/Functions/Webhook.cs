using BotRouter.Core.Processing;
using BotRouter.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace BotRouter.Functions.Functions;

/// <summary>Receives the Bot Router's webhooks; answers 200 only once the message is durably stored and queued.</summary>
public sealed class Webhook(WebhookIntake intake)
{
    public const string SecretHeader = "X-Webhook-Secret";

    [Function(nameof(Webhook))]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhook")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        using var activity = Core.BotRouterTelemetry.Source.StartActivity("webhook receive", System.Diagnostics.ActivityKind.Server);
        var body = await RequestBody.ReadAsync(request, WebhookIntake.MaxBodyBytes, cancellationToken);
        return await intake.AcceptAsync(request.Headers[SecretHeader].FirstOrDefault(), body, cancellationToken) switch
        {
            IntakeResult.Accepted a => TypedResults.Json(new WebhookAccepted("queued", a.ChatId.ToString(), false), ApiJson.Default.WebhookAccepted).Result(),
            IntakeResult.Duplicate d => TypedResults.Json(new WebhookAccepted("queued", d.ChatId.ToString(), true), ApiJson.Default.WebhookAccepted).Result(),
            var other => Problems.Of(other),
        };
    }
}
