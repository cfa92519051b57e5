using BotRouter.Azure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace BotRouter.Functions.Http;

/// <summary>
/// An HTTP answer plus the chat's signal as a queue output. The host writes the signal itself, which wakes
/// its queue listener at once (the queue extension's shared watcher), so a reply need not wait for a poll.
/// </summary>
public sealed class AcceptedWithSignal
{
    [HttpResult]
    public required IActionResult Result { get; init; }

    /// <summary>The <c>inbound</c> signal; null when nothing was accepted.</summary>
    [QueueOutput(StorageNames.InboundQueue, Connection = StorageNames.Connection)]
    public string? Signal { get; init; }
}
