using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using BotRouter.Simulator.Contracts;

namespace BotRouter.Simulator.Routing;

/// <summary>The delivery statuses CM reports for a sent message, with CM's status codes.</summary>
internal static class DeliveryStatuses
{
    public const string Accepted = "accepted";
    public const string Delivered = "delivered";
    public const string Read = "read";

    public const int AcceptedCode = 0;
    public const int RejectedCode = 1;
    public const int DeliveredCode = 2;
    public const int FailedCode = 3;
    public const int ReadCode = 4;
}

/// <summary>A bot reply accepted through BMProxy whose delivery is still to be reported.</summary>
internal sealed record PendingReport(string ChatId, string To, string Reference);

/// <summary>
/// Posts CM-style delivery status reports to <c>{AppBaseUrl}/api/status</c> for every accepted bot reply with a
/// reference: "delivered" after <see cref="SimulatorOptions.StatusReportDelay"/>, then (optionally) "read".
/// CM retries a report unless answered 200; here a bounded number of times, then logged and dropped.
/// The send path only queues: a slow, failing or missing status endpoint never delays a BMProxy answer.
/// </summary>
internal sealed class StatusReports(
    IServiceProvider services, SimulatorOptions options, RoutingTable table, CallLog log, Counters counters, TimeProvider time, ILogger<StatusReports> logger)
    : BackgroundService
{
    private readonly Channel<PendingReport> queue = Channel.CreateUnbounded<PendingReport>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<Task, byte> running = new();

    /// <summary>Queues the reports of one accepted reply; returns at once. Replies without a reference get none (nothing to match them by).</summary>
    public void Accepted(SimChat chat, string to, string? reference)
    {
        if (options.StatusReports && !string.IsNullOrEmpty(reference))
        {
            queue.Writer.TryWrite(new PendingReport(chat.ChatId, to, reference));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var pending in queue.Reader.ReadAllAsync(stoppingToken))
            {
                // Each reply's reports run on their own, so one reply's retries never hold up another's reports.
                var task = ReportAsync(pending, stoppingToken);
                running[task] = 0;
                _ = task.ContinueWith(done => running.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down; reports not yet posted are lost with the rest of the in-memory state
        }

        await Task.WhenAll(running.Keys);
    }

    private async Task ReportAsync(PendingReport pending, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(options.StatusReportDelay, time, cancellationToken);
            await PostAsync(pending, DeliveryStatuses.Delivered, DeliveryStatuses.DeliveredCode, cancellationToken);
            if (options.StatusReportRead)
            {
                await Task.Delay(options.StatusReportDelay, time, cancellationToken);
                await PostAsync(pending, DeliveryStatuses.Read, DeliveryStatuses.ReadCode, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    private async Task PostAsync(PendingReport pending, string status, int code, CancellationToken cancellationToken)
    {
        // The message's status is CM's to know whether or not the app hears of it: the transcript shows it at once.
        table.Find(pending.ChatId)?.SetDeliveryStatus(pending.Reference, status);
        var report = new StatusReport(new StatusReportMessages(new StatusReportMessage(
            time.GetUtcNow(), pending.To, pending.Reference, new StatusReportStatus(code, null, null), null)));
        var json = JsonSerializer.Serialize(report, SimulatorJson.Readable.StatusReport);
        for (var attempt = 1; ; attempt++)
        {
            var answer = await services.GetRequiredService<AppClient>().PostStatusAsync(json, cancellationToken);
            log.Add("out", "status", "POST", "/api/status", pending.ChatId, null, json, answer.Status, answer.Body ?? answer.Error);
            Log.StatusReportPosted(logger, status, pending.Reference, pending.ChatId, attempt, answer.Status);
            var chat = table.Find(pending.ChatId);
            if (answer.Status == StatusCodes.Status200OK)
            {
                Counters.Increment(ref counters.StatusReports);
                chat?.Record("status", $"reply {pending.Reference} {status} (code {code}): reported, the app answered 200", answer.Status, time.GetUtcNow());
                return;
            }

            Counters.Increment(ref counters.StatusReportFailures);
            var outcome = answer.Reached ? $"the app answered {answer.Status}" : answer.Error;
            if (attempt >= options.StatusReportMaxAttempts)
            {
                chat?.Record("status", $"reply {pending.Reference} {status} (code {code}): report given up after {attempt} attempt(s), {outcome}", answer.Status, time.GetUtcNow());
                Log.StatusReportGivenUp(logger, status, pending.Reference, pending.ChatId, attempt, answer.Status);
                return;
            }

            chat?.Record("status", $"reply {pending.Reference} {status} (code {code}): report attempt {attempt}, {outcome}; retrying", answer.Status, time.GetUtcNow());
            await Task.Delay(options.StatusReportRetryDelay, time, cancellationToken);
        }
    }
}
