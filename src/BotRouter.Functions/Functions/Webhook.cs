using BotRouter.Core.Chats;
using BotRouter.Core.Processing;
using BotRouter.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace BotRouter.Functions.Functions;

/// <summary>Receives the Bot Router's webhooks; answers 200 only once the message is durably queued.</summary>
public sealed class Webhook(WebhookIntake intake)
{
    public const string SecretHeader = "X-Webhook-Secret";

    [Function(nameof(Webhook))]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhook")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        using var activity = Core.BotRouterTelemetry.Source.StartActivity("webhook receive", System.Diagnostics.ActivityKind.Server);
        if (!intake.IsAuthorized(request.Headers[SecretHeader].FirstOrDefault()))
        {
            return Problems.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", $"Header {SecretHeader} is missing or wrong.");
        }

        if (await RequestBody.ReadAsync(request, WebhookIntake.MaxBodyBytes, cancellationToken) is not { } body)
        {
            return Problems.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The webhook body is limited to {WebhookIntake.MaxBodyBytes} bytes.");
        }

        try
        {
            var result = await intake.AcceptAsync(body, cancellationToken);
            return result.Refusal is { } refusal
                ? Problems.Of(refusal)
                : TypedResults.Json(new WebhookAccepted("queued", result.ChatId!, result.Duplicate), ApiJson.Default.WebhookAccepted).Result();
        }
        catch (StorageUnavailableException e)
        {
            return Problems.StorageUnavailable(e);
        }
    }
}
