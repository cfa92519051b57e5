using BotRouter.Core.Chats;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Logging;

namespace BotRouter.Core.Processing;

/// <summary>
/// Executes a chat's outbox in order. A reply is sent only while no routing change happened since it was
/// decided (same epoch): once a take-over is recorded, no bot reply leaves. A transient router failure
/// throws, so the queue retries the signal and the outbox resumes at the first call not yet done.
/// </summary>
public sealed partial class RouterCommandProcessor(
    IChatStore store,
    ChatLeaseRunner runner,
    IRouterClient router,
    IWorkSignals signals,
    TimeProvider time,
    ILogger<RouterCommandProcessor> logger)
{
    private const int PageSize = 32;

    public Task ProcessAsync(string chatId, CancellationToken cancellationToken) => ProcessAsync(chatId, null, cancellationToken);

    public async Task ProcessAsync(string chatId, string? traceParent, CancellationToken cancellationToken)
    {
        using var activity = BotRouterTelemetry.StartHop("router-commands process", System.Diagnostics.ActivityKind.Consumer, traceParent, chatId);
        await runner.RunAsync(WorkStage.RouterCommands, chatId, async lease =>
        {
            while (true)
            {
                var calls = await store.ReadOutboxAsync(lease, PageSize, cancellationToken);
                if (calls.Count == 0)
                {
                    return;
                }

                foreach (var call in calls)
                {
                    var state = lease.State;
                    var now = time.GetUtcNow();
                    if (call.Kind == RouterCallKind.Reply && call.Epoch != state.Epoch)
                    {
                        LogSuppressed(chatId, call.Id);
                        await store.CommitCallAsync(lease, state.Record(now, Actors.Bot, "reply suppressed", $"{call.Summary}: routing changed since it was decided"), call, cancellationToken);
                        continue;
                    }

                    var outcome = await router.SendAsync(chatId, call, cancellationToken);
                    if (outcome.Accepted)
                    {
                        if (call.Kind == RouterCallKind.Reply)
                        {
                            BotRouterTelemetry.RepliesSent.Add(1);
                        }

                        LogSent(chatId, call.Kind, call.Id);
                        await store.CommitCallAsync(lease, state.Record(time.GetUtcNow(), Actors.Router, call.Kind.ToString().ToLowerInvariant(), "accepted"), call, cancellationToken);
                    }
                    else
                    {
                        // CM refused the call for good: retrying cannot help. The call stays first in the outbox
                        // (later calls must not overtake it) and the chat waits in the poison queue, with the
                        // reason, until an operator fixes the cause and replays it or resets the chat.
                        LogRejected(chatId, call.Kind, call.Id, outcome.StatusCode, outcome.Detail);
                        now = time.GetUtcNow();
                        var reason = $"{call.Kind} refused by the Bot Router ({outcome.StatusCode}): {outcome.Detail}";
                        var failure = new ProcessingFailure(WorkStage.RouterCommands, reason, state.LastFailure?.FirstUtc ?? now, now, (state.LastFailure?.Attempts ?? 0) + 1);
                        await store.SaveAsync(lease, state.Record(now, Actors.Router, call.Kind.ToString().ToLowerInvariant(), $"refused ({outcome.StatusCode}): {outcome.Detail}") with { LastFailure = failure }, cancellationToken);
                        await signals.PoisonAsync(WorkStage.RouterCommands, chatId, cancellationToken);
                        BotRouterTelemetry.Poisoned.Add(1);
                        return;
                    }
                }

                if (calls.Count < PageSize)
                {
                    return;
                }
            }
        }, cancellationToken);
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Chat {ChatId}: {Kind} {CallId} accepted by the router")]
    private partial void LogSent(string chatId, RouterCallKind kind, string callId);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Chat {ChatId}: reply {CallId} suppressed, routing changed since it was decided")]
    private partial void LogSuppressed(string chatId, string callId);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "Chat {ChatId}: {Kind} {CallId} refused by the router ({Status}): {Detail}")]
    private partial void LogRejected(string chatId, RouterCallKind kind, string callId, int status, string detail);
}
