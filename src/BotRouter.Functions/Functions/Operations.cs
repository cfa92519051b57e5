using BotRouter.Azure;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Flows;
using BotRouter.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace BotRouter.Functions.Functions;

/// <summary>What operators look at: the bot's flows, health, and messages that exhausted their retries.</summary>
public sealed class Operations(IBot bot, IOptions<BotOptions> botOptions, OperationsStore operations)
{
    [Function("GetFlows")]
    public IActionResult Flows(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "flows")] HttpRequest request)
    {
        var kind = botOptions.Value.Kind.Trim().ToLowerInvariant();
        var view = bot.Flows is { } flows
            ? new FlowsView(
                flows.Flows.Select(f => new FlowView(f.Id, f.Title, f.Steps.Select(s => new StepView(s.Id, s.Prompt, KindOf(s))).ToList())).ToList(),
                kind)
            : new FlowsView([], kind,
                $"The {kind} bot has no flows: a hand-back takes no flowId/stepId position for CM; any given is passed to the bot as it is.");
        return TypedResults.Json(view, ApiJson.Default.FlowsView).Result();
    }

    [Function("Health")]
    public async Task<IActionResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var report = await operations.CheckAsync(cancellationToken);
        return TypedResults.Json(report, ApiJson.Default.HealthReport,
            statusCode: report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable).Result();
    }

    [Function("ListPoison")]
    public async Task<IActionResult> ListPoison(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "poison")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var messages = await operations.ListPoisonAsync(cancellationToken);
        return TypedResults.Json(new PoisonList(messages), ApiJson.Default.PoisonList).Result();
    }

    [Function("ReplayPoison")]
    public async Task<IActionResult> ReplayPoison(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "poison/replay")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (body, error, tooLarge) = await RequestBody.ReadJsonAsync(request, ApiJson.Default.ReplayBody, new ReplayBody(null, null), cancellationToken);
        if (body is null)
        {
            return Problems.Problem(tooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, "Invalid body", error ?? "Body too large.");
        }

        if (body.Queue is { } queue && !OperationsStore.WorkQueues.Contains(queue))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "Unknown queue", $"queue must be one of: {string.Join(", ", OperationsStore.WorkQueues)}.");
        }

        var replayed = await operations.ReplayAsync(body.Queue, body.Ids?.ToHashSet(), cancellationToken);
        return TypedResults.Json(new ReplayResult(replayed), ApiJson.Default.ReplayResult).Result();
    }

    private static string KindOf(Step step) =>
        step.Choices is { Count: > 0 } ? "menu" : step.Input is not null ? "input" : step.HandOver is not null ? "handover" : "message";
}
