namespace BotRouter.Core.Configuration;

/// <summary>How chats are processed. Bound from the <c>Processing</c> section (<c>Processing__*</c> settings).</summary>
public sealed class ProcessingOptions
{
    public const string Section = "Processing";

    /// <summary>
    /// How long a processor holds a chat without renewing. Renewed while a slow call runs, so it only bounds
    /// how long a crashed processor delays its chat.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Take the chat before asking the bot rather than in the turn's own commit, and record what the previous turn
    /// sent before asking again: one storage transaction more per message, but a bot that does I/O (REST, LLM) is
    /// never asked twice when two processors race for a chat, and a crash during its (slow) turn resends nothing.
    /// On by default for the <c>rest</c> and <c>openai</c> bots.
    /// </summary>
    public bool HoldBeforeDeciding { get; set; }

    /// <summary>
    /// Attempts of a chat whose router or bot is down (5xx, timeouts) before its signal goes to the poison queue.
    /// Between attempts the chat waits 2 s, 4 s, 8 s, ... up to <see cref="RetryDelayMax"/>: the default rides out
    /// an outage of about eight minutes.
    /// </summary>
    public int RetryAttempts { get; set; } = 8;

    public TimeSpan RetryDelayMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Refusals of one call kind in a row, across chats, after which the app stops making that call for a while.</summary>
    public int RefusalsBeforePause { get; set; } = 5;

    /// <summary>How long a call kind that every chat got refused is paused before one chat tries it again.</summary>
    public TimeSpan RefusalPause { get; set; } = TimeSpan.FromMinutes(1);
}
