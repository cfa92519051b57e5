namespace BotRouter.Core.Processing;

/// <summary>
/// What the app does around the bot as time passes, whatever the bot: when a conversation starts afresh. Built once
/// from validated settings; the defaults are the settings' defaults.
/// </summary>
/// <param name="SessionTimeout">
/// In bot mode, a customer message that arrives longer than this after the customer's last message (or the last
/// routing change) starts a new session (<c>Bot__SessionTimeout</c>).
/// </param>
public sealed record ConversationRules(TimeSpan SessionTimeout)
{
    public static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromMinutes(30);

    public static ConversationRules Default { get; } = new(DefaultSessionTimeout);
}
