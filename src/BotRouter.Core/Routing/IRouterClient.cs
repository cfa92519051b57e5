using BotRouter.Core.Chats;

namespace BotRouter.Core.Routing;

/// <summary>Posts one call to the CM Bot Router.</summary>
public interface IRouterClient
{
    /// <summary>
    /// Returns when CM accepted or permanently refused the call. Throws <see cref="RouterUnavailableException"/>
    /// for a transient failure (5xx, 408, 429, timeout) once the client's own retries are spent.
    /// </summary>
    Task<RouterOutcome> SendAsync(ChatId chatId, RouterCall call, CancellationToken cancellationToken);
}

/// <param name="Accepted">False when CM refused the call for good (4xx, or a BM error code for the message).</param>
public sealed record RouterOutcome(bool Accepted, int StatusCode, string Detail)
{
    public static RouterOutcome Ok(int status) => new(true, status, "accepted");
}

public sealed class RouterUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
