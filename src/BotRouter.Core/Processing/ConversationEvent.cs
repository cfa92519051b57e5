namespace BotRouter.Core.Processing;

public enum ConversationEventKind
{
    /// <summary>A bot-mode conversation started afresh: the customer came back after <c>Bot__SessionTimeout</c>.</summary>
    SessionExpired,

    /// <summary>A chat an agent left idle longer than <c>Routing__AgentIdleTimeout</c> went back to the bot when the customer wrote.</summary>
    AutomaticHandBack,

    /// <summary>A hand-over outside its team's opening hours went ahead, after telling the customer when agents are back.</summary>
    HandOverOutsideHours,

    /// <summary>A hand-over outside its team's opening hours did not happen (<c>Routing__OutOfHours=keep-bot</c>).</summary>
    BotKeptOutsideHours,
}

/// <summary>
/// Something a turn decided about the conversation's life, for the processor to count once the turn is committed
/// (the decision itself stays free of side effects, so a retried turn counts nothing twice).
/// </summary>
/// <param name="Team">The hand-over's team, for events about opening hours.</param>
public sealed record ConversationEvent(ConversationEventKind Kind, string? Team = null);
