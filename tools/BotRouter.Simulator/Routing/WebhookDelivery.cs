using System.Threading.Channels;
using BotRouter.Simulator.Contracts;

namespace BotRouter.Simulator.Routing;

/// <summary>An MO waiting for its next delivery attempt.</summary>
internal sealed record PendingWebhook(string ChatId, string Reference, string MoJson, int Attempt, DateTimeOffset DueUtc);

/// <summary>
/// Posts MOs to the bot's webhook like CM: anything but <c>200</c> (or no answer) is retried later with the same
/// body and reference, up to <see cref="SimulatorOptions.WebhookMaxAttempts"/> attempts
/// (CM itself keeps retrying every few minutes for up to a month).
/// </summary>
internal sealed class WebhookDelivery(
    IServiceProvider services, RoutingTable table, CallLog log, Counters counters, TimeProvider time, ILogger<WebhookDelivery> logger)
    : BackgroundService
{
    private readonly Channel<PendingWebhook> retries = Channel.CreateUnbounded<PendingWebhook>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>One attempt; a failure schedules the next one. Returns what the app answered this time.</summary>
    public async Task<AppAnswer> DeliverAsync(SimChat chat, string reference, string moJson, int attempt, CancellationToken cancellationToken)
    {
        var answer = await services.GetRequiredService<AppClient>().PostWebhookAsync(moJson, cancellationToken);
        Counters.Increment(ref counters.WebhookPosts);
        log.Add("out", "webhook", "POST", "/api/webhook", chat.ChatId, null, moJson, answer.Status, answer.Body ?? answer.Error);
        var delivered = answer.Status == StatusCodes.Status200OK;
        var outcome = answer.Reached ? $"answered {answer.Status}" : answer.Error;
        chat.Record("webhook", $"MO {reference} attempt {attempt}: {outcome}", answer.Status, time.GetUtcNow());
        Log.WebhookPosted(logger, reference, chat.ChatId, attempt, answer.Status);

        if (!delivered)
        {
            Counters.Increment(ref counters.WebhookFailures);
            var options = table.Options;
            if (attempt < options.WebhookMaxAttempts)
            {
                Counters.Increment(ref counters.WebhookRetries);
                retries.Writer.TryWrite(new PendingWebhook(chat.ChatId, reference, moJson, attempt + 1, time.GetUtcNow() + options.WebhookRetryDelay));
            }
            else
            {
                chat.Record("webhook", $"MO {reference} given up after {attempt} attempt(s)", answer.Status, time.GetUtcNow());
            }
        }

        return answer;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var pending in retries.Reader.ReadAllAsync(stoppingToken))
            {
                var wait = pending.DueUtc - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stoppingToken);
                }

                if (table.Find(pending.ChatId) is { } chat)
                {
                    await DeliverAsync(chat, pending.Reference, pending.MoJson, pending.Attempt, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down; pending retries are lost with the rest of the in-memory state
        }
    }
}
