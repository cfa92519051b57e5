using BotRouter.Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace BotRouter.Functions.Http;

/// <summary>
/// An HTTP answer plus the chat's signal as a queue output. The host writes the signal itself, which wakes
/// its queue listener at once (the queue extension's shared watcher), so a reply need not wait for a poll.
/// The worker's ASP.NET Core integration executes the <see cref="IResult"/> of the <c>[HttpResult]</c>
/// property as it does a returned one.
/// </summary>
public sealed class AcceptedWithSignal
{
    [HttpResult]
    public required IResult Result { get; init; }

    /// <summary>The <c>inbound</c> signal; null when nothing was accepted.</summary>
    [QueueOutput(StorageNames.InboundQueue, Connection = StorageNames.Connection)]
    public string? Signal { get; init; }
}
