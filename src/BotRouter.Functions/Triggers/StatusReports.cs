using BotRouter.Core.Delivery;
using BotRouter.Core.Processing;
using BotRouter.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace BotRouter.Functions.Triggers;

/// <summary>
/// CM's delivery status reports. Every well-formed report gets 200, known reference or not: CM retries a
/// report for days until it does. Reports for the app's own replies show in the chat's history.
/// </summary>
public sealed class StatusReports(StatusReportIntake intake)
{
    [Function(nameof(StatusReports))]
    public async Task<Results<JsonHttpResult<StatusReportsAccepted>, ProblemHttpResult>> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "status")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var body = await RequestBody.ReadAsync(request, StatusReportIntake.MaxBodyBytes, cancellationToken);
        return await intake.AcceptAsync(body, cancellationToken) switch
        {
            IntakeResult.Reports r => TypedResults.Json(new StatusReportsAccepted(r.Received, r.Recorded), ApiJson.Default.StatusReportsAccepted),
            var other => Problems.Of(other),
        };
    }
}
