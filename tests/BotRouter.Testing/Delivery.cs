namespace BotRouter.Testing;

/// <summary>
/// One thing the router fake accepted (200), in the order it accepted them (<see cref="Seq"/>, the call's): a reply
/// (<see cref="Kind"/> <c>reply</c>, <see cref="Key"/> the customer number, <see cref="Text"/> its content,
/// <see cref="Reference"/> its reference; one per message of the call), a mutation (<c>enable</c> or <c>disable</c>,
/// by chat id, <see cref="Text"/> the mutation type) or a position (<c>position</c>, by chat id, the body).
/// </summary>
public sealed record Delivery(long Seq, string Kind, string Key, string Text, string Reference);
