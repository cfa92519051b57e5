namespace BotRouter.Core.Hours;

/// <summary>What a hand-over outside its team's opening hours does (<c>Routing__OutOfHours</c>).</summary>
public enum OutOfHoursPolicy
{
    /// <summary><c>handover</c>: tell the customer when agents are back, then hand over all the same.</summary>
    HandOver,

    /// <summary><c>keep-bot</c>: no hand-over; the bot keeps the chat and the customer is asked to leave a message.</summary>
    KeepBot,
}
