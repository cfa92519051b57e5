using BotRouter.Core.Processing;
using BotRouter.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace BotRouter.Functions.Triggers;

/// <summary>Receives the Bot Router's webhooks; answers 200 only once the message is durably stored and queued.</summary>
public sealed class Webhook(WebhookIntake intake)
{
    public const string SecretHeader = "X-Webhook-Secret";

    [Function(nameof(Webhook))]
    public async Task<AcceptedWithSignal> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhook")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        using var activity = Core.BotRouterTelemetry.Source.StartActivity("webhook receive", System.Diagnostics.ActivityKind.Server);
        var body = await RequestBody.ReadAsync(request, WebhookIntake.MaxBodyBytes, cancellationToken);
        return await intake.AcceptAsync(request.Headers[SecretHeader].FirstOrDefault(), body, cancellationToken) switch
        {
            IntakeResult.Accepted a => Queued(a.ChatId, duplicate: false),
            IntakeResult.Duplicate d => Queued(d.ChatId, duplicate: true),
            var other => new AcceptedWithSignal { Result = Problems.Of(other) },
        };
    }

    private static AcceptedWithSignal Queued(Core.Chats.ChatId chatId, bool duplicate) => new()
    {
        Result = TypedResults.Json(new WebhookAccepted("queued", chatId.ToString(), duplicate), ApiJson.Default.WebhookAccepted),
        Signal = Azure.QueueWorkSignals.Body(chatId),
    };
}
