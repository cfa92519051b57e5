using BotRouter.Core.Chats;
using Microsoft.Extensions.Logging;

namespace BotRouter.Core.Processing;

/// <summary>
/// Handles a chat's inbox in arrival order: each customer message or operator command becomes a new
/// state plus router calls, committed atomically; then the router-commands processor is woken.
/// </summary>
public sealed partial class InboundProcessor(
    IChatStore store,
    IWorkSignals signals,
    ChatLeaseRunner runner,
    ChatTurns turns,
    TimeProvider time,
    ILogger<InboundProcessor> logger)
{
    private const int PageSize = 32;

    public async Task ProcessAsync(string chatId, CancellationToken cancellationToken) => await ProcessAsync(chatId, null, cancellationToken);

    public async Task ProcessAsync(string chatId, string? traceParent, CancellationToken cancellationToken)
    {
        using var activity = BotRouterTelemetry.StartHop("inbound process", System.Diagnostics.ActivityKind.Consumer, traceParent, chatId);
        var produced = 0;
        await runner.RunAsync(WorkStage.Inbound, chatId, async lease =>
        {
            for (var page = 0; ; page++)
            {
                var items = await store.ReadInboxAsync(lease, PageSize, cancellationToken);
                if (items.Count == 0)
                {
                    // A signal that finds nothing may be the retry of a run that committed its turn and died
                    // before waking the router-commands processor: wake it if calls are waiting.
                    if (page == 0 && (await store.ReadOutboxAsync(lease, 1, cancellationToken)).Count > 0)
                    {
                        produced++;
                    }

                    return;
                }

                foreach (var item in items)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var before = lease.State.Mode;
                    var result = await turns.ApplyAsync(lease.State, item, time.GetUtcNow(), cancellationToken);
                    await store.CommitTurnAsync(lease, result.State, item, result.Calls, cancellationToken);
                    if (before != RoutingMode.Agent && result.State.Mode == RoutingMode.Agent)
                    {
                        BotRouterTelemetry.HandOvers.Add(1);
                    }

                    produced += result.Calls.Count;
                    LogTurn(chatId, item.Kind, result.State.Mode, result.Calls.Count);
                }

                // A short page was the last one; what arrives from now on is seen by the runner's last look.
                if (items.Count < PageSize)
                {
                    return;
                }
            }
        }, cancellationToken);

        if (produced > 0)
        {
            await signals.SignalAsync(WorkStage.RouterCommands, chatId, TimeSpan.Zero, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Chat {ChatId}: {Kind} handled, mode {Mode}, {Calls} router call(s) queued")]
    private partial void LogTurn(string chatId, InboxKind kind, RoutingMode mode, int calls);
}
