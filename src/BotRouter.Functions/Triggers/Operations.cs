using BotRouter.Azure;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Flows;
using BotRouter.Core.Processing;
using BotRouter.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace BotRouter.Functions.Triggers;

/// <summary>What operators look at: the bot's flows, opening hours, health, and messages that exhausted their retries.</summary>
public sealed class Operations(IBot bot, IOptions<BotOptions> botOptions, PoisonedMessages poison, HealthCheckService health, ConversationRules rules, TimeProvider time)
{
    [Function("GetFlows")]
    public JsonHttpResult<FlowsView> Flows(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "flows")] HttpRequest request)
    {
        var kind = botOptions.Value.Kind.Trim().ToLowerInvariant();
        var view = bot.Flows is { } flows
            ? new FlowsView(
                flows.Flows.Select(f => new FlowView(f.Id, f.Title, f.Steps.Select(s => new StepView(s.Id, s.Prompt, KindOf(s))).ToList())).ToList(),
                kind)
            : new FlowsView([], kind,
                $"The {kind} bot has no flows: a hand-back takes no flowId/stepId position for CM; any given is passed to the bot as it is.");
        return TypedResults.Json(view, ApiJson.Default.FlowsView);
    }

    [Function("GetHours")]
    public JsonHttpResult<HoursView> Hours(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "hours")] HttpRequest request) =>
        TypedResults.Json(HoursView.Of(rules, time.GetUtcNow()), ApiJson.Default.HoursView);

    [Function("Health")]
    public async Task<JsonHttpResult<HealthView>> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        var view = new HealthView(
            report.Status != HealthStatus.Unhealthy,
            report.Status.ToString(),
            report.Entries.ToDictionary(e => e.Key, e => e.Value.Description ?? e.Value.Status.ToString()));

        // Degraded (a call kind paused) still answers 200: storage is fine and the webhook accepts messages.
        return TypedResults.Json(view, ApiJson.Default.HealthView,
            statusCode: view.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    [Function("ListPoison")]
    public async Task<Results<JsonHttpResult<PoisonList>, ProblemHttpResult>> ListPoison(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "poison")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ChatId? chatId = null;
        if (request.Query["chatId"].FirstOrDefault() is { } text)
        {
            if (!ChatId.TryParse(text, out var id))
            {
                return Problems.InvalidChatId();
            }

            chatId = id;
        }

        var pageSize = PoisonedMessages.MaxPageSize;
        if (request.Query["pageSize"].FirstOrDefault() is { } size
            && (!int.TryParse(size, System.Globalization.CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > PoisonedMessages.MaxPageSize))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "Invalid pageSize", $"pageSize must be 1 to {PoisonedMessages.MaxPageSize}.");
        }

        try
        {
            var page = await poison.ListAsync(chatId, request.Query["continuationToken"].FirstOrDefault(), pageSize, cancellationToken);
            return TypedResults.Json(new PoisonList(page.Messages, page.ContinuationToken), ApiJson.Default.PoisonList);
        }
        catch (InvalidContinuationTokenException e)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "Invalid continuationToken", e.Message);
        }
    }

    [Function("ReplayPoison")]
    public async Task<Results<JsonHttpResult<ReplayResult>, ProblemHttpResult>> ReplayPoison(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "poison/replay")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (body, error, tooLarge) = await RequestBody.ReadJsonAsync(request, ApiJson.Default.ReplayBody, new ReplayBody(null, null), cancellationToken);
        if (body is null)
        {
            return Problems.Problem(tooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, "Invalid body", error ?? "Body too large.");
        }

        if (body.Queue is { } queue && !PoisonedMessages.WorkQueues.Contains(queue))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "Unknown queue", $"queue must be one of: {string.Join(", ", PoisonedMessages.WorkQueues)}.");
        }

        var replayed = await poison.ReplayAsync(body.Queue, body.Ids?.ToHashSet(), cancellationToken);
        return TypedResults.Json(new ReplayResult(replayed), ApiJson.Default.ReplayResult);
    }

    private static string KindOf(Step step) =>
        step.Choices is { Count: > 0 } ? "menu" : step.Input is not null ? "input" : step.HandOver is not null ? "handover" : "message";
}
