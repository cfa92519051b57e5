using BotRouter.Core.Flows;

namespace BotRouter.Core.Bots;

/// <summary>
/// The bot that answers a chat's customer: the built-in flow bot, a REST bot or an LLM. It only decides what to
/// say and whether to hand over; the app owns routing (agent mode never asks the bot, hand-overs become the
/// disable mutation after the bot's texts).
/// </summary>
public interface IBot
{
    /// <summary>The bot's flows, the positions a hand-back may name; null when the bot has no flows.</summary>
    FlowSet? Flows { get; }

    /// <summary>
    /// Answers one event of a chat. Throws <see cref="BotUnavailableException"/> when the bot cannot be reached
    /// (5xx, timeout) after its own retries: nothing was sent yet, so the whole turn may be retried.
    /// </summary>
    Task<BotAnswer> AnswerAsync(BotInput input, CancellationToken cancellationToken);
}

/// <summary>The bot could not be reached or failed (5xx, timeout) after its client's retries.</summary>
public sealed class BotUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
