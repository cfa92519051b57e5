using BotRouter.Azure;
using BotRouter.Core.Chats;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;
using BotRouter.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace BotRouter.Functions.Triggers;

/// <summary>
/// The operator API of one chat. Commands answer 202 once queued in the chat's inbox; the Bot Router
/// calls they cause run in the queue-triggered processors, in order with the customer's messages.
/// </summary>
public sealed class ChatOperations(IChatStore store, OperatorIntake intake, RouterComponents components)
{
    [Function("GetChat")]
    public async Task<Results<JsonHttpResult<ChatView>, ProblemHttpResult>> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "chats/{chatId}")] HttpRequest request,
        string chatId,
        CancellationToken cancellationToken)
    {
        if (!ChatId.TryParse(chatId, out var id))
        {
            return Problems.InvalidChatId();
        }

        if (await store.GetAsync(id, cancellationToken) is not { } state)
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "Unknown chat", $"No chat {id} has been seen.");
        }

        var deliveries = await store.GetDeliveriesAsync(id, cancellationToken);
        return TypedResults.Json(ChatView.Of(state, components, deliveries), ApiJson.Default.ChatView);
    }

    [Function("HandOver")]
    public async Task<AcceptedWithSignal> HandOver(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "chats/{chatId}/handover")] HttpRequest request,
        string chatId,
        CancellationToken cancellationToken)
    {
        var (body, error, tooLarge) = await RequestBody.ReadJsonAsync(request, ApiJson.Default.HandOverBody, new HandOverBody(null), cancellationToken);
        return body is null
            ? new AcceptedWithSignal { Result = BadBody(error, tooLarge) }
            : await SubmitAsync(chatId, new OperatorCommand { Action = OperatorAction.HandOver, Context = body.Context }, IdempotencyKey(request), cancellationToken);
    }

    [Function("TakeOver")]
    public Task<AcceptedWithSignal> TakeOver(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "chats/{chatId}/takeover")] HttpRequest request,
        string chatId,
        CancellationToken cancellationToken) =>
        SubmitAsync(chatId, new OperatorCommand { Action = OperatorAction.TakeOver }, IdempotencyKey(request), cancellationToken);

    [Function("HandBack")]
    public async Task<AcceptedWithSignal> HandBack(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "chats/{chatId}/handback")] HttpRequest request,
        string chatId,
        CancellationToken cancellationToken)
    {
        var (body, error, tooLarge) = await RequestBody.ReadJsonAsync(request, ApiJson.Default.HandBackBody, new HandBackBody(null, null), cancellationToken);
        return body is null
            ? new AcceptedWithSignal { Result = BadBody(error, tooLarge) }
            : await SubmitAsync(chatId, new OperatorCommand { Action = OperatorAction.HandBack, FlowId = body.FlowId, StepId = body.StepId }, IdempotencyKey(request), cancellationToken);
    }

    [Function("ResetChat")]
    public Task<AcceptedWithSignal> Reset(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "chats/{chatId}/reset")] HttpRequest request,
        string chatId,
        CancellationToken cancellationToken) =>
        SubmitAsync(chatId, new OperatorCommand { Action = OperatorAction.Reset }, IdempotencyKey(request), cancellationToken);

    /// <summary>The header a caller sends to make a command safe to send again (the same key: stored once).</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private static string? IdempotencyKey(HttpRequest request) => request.Headers[IdempotencyKeyHeader].FirstOrDefault();

    private async Task<AcceptedWithSignal> SubmitAsync(string chatId, OperatorCommand command, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (!ChatId.TryParse(chatId, out var id))
        {
            return new AcceptedWithSignal { Result = Problems.InvalidChatId() };
        }

        // A repeat (same Idempotency-Key) is answered like the first and signalled again: the first may have been stored without its signal.
        return await intake.SubmitAsync(id, command, idempotencyKey, cancellationToken) switch
        {
            IntakeResult.Accepted a => Queued(a.ChatId, command),
            IntakeResult.Duplicate d => Queued(d.ChatId, command),
            var other => new AcceptedWithSignal { Result = Problems.Of(other) },
        };
    }

    private static AcceptedWithSignal Queued(ChatId chatId, OperatorCommand command) => new()
    {
        Result = TypedResults.Json(
            new CommandAccepted("queued", chatId.ToString(), command.Action.ToString().ToLowerInvariant()),
            ApiJson.Default.CommandAccepted,
            statusCode: StatusCodes.Status202Accepted),
        Signal = QueueWorkSignals.Body(chatId),
    };

    private static ProblemHttpResult BadBody(string? error, bool tooLarge) => tooLarge
        ? Problems.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", "Operator request bodies are limited to 64 KiB.")
        : Problems.Problem(StatusCodes.Status400BadRequest, "Invalid body", error ?? "The body is not valid.");
}
