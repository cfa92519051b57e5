using BotRouter.Core.Chats;
using BotRouter.Core.Routing;

namespace BotRouter.UnitTests.Kit;

/// <summary>The router port in memory: records what was sent; a test decides how each call is answered.</summary>
public sealed class RecordingRouter : IRouterClient
{
    private readonly List<(ChatId ChatId, RouterCall Call)> sent = [];

    /// <summary>How the next calls are answered; null accepts. Throw <see cref="RouterUnavailableException"/> for an outage.</summary>
    public Func<RouterCall, Task<RouterOutcome>>? Answer { get; set; }

    public IReadOnlyList<(ChatId ChatId, RouterCall Call)> Sent
    {
        get
        {
            lock (sent)
            {
                return [.. sent];
            }
        }
    }

    public async Task<RouterOutcome> SendAsync(ChatId chatId, RouterCall call, CancellationToken cancellationToken)
    {
        var outcome = Answer is { } answer ? await answer(call) : RouterOutcome.Ok(200);
        lock (sent)
        {
            sent.Add((chatId, call));
        }

        return outcome;
    }
}
