namespace BotRouter.Core.Processing;

/// <summary>
/// What the app does around the bot as time passes, whatever the bot: when a conversation starts afresh. Built once
/// from validated settings; the defaults are the settings' defaults.
/// </summary>
/// <param name="SessionTimeout">
/// In bot mode, a customer message that arrives longer than this after the customer's last message (or the last
/// routing change) starts a new session (<c>Bot__SessionTimeout</c>).
/// </param>
/// <param name="AgentIdleTimeout">
/// In agent mode, a customer message that arrives longer than this after both the customer's last message and the
/// last routing change hands the chat back to the bot (<c>Routing__AgentIdleTimeout</c>); null: never.
/// </param>
public sealed record ConversationRules(TimeSpan SessionTimeout, TimeSpan? AgentIdleTimeout = null)
{
    public static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromMinutes(30);

    public static ConversationRules Default { get; } = new(DefaultSessionTimeout);
}
