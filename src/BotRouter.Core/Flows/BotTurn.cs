namespace BotRouter.Core.Flows;

/// <summary>What the bot wants to happen, in order.</summary>
public abstract record BotAction;

/// <summary>Say something to the customer, optionally offering quick-reply suggestions.</summary>
public sealed record Say(string Text, IReadOnlyList<string> Suggestions) : BotAction;

/// <summary>Hand the chat to a human: tell the customer, then disable the bot with a team context.</summary>
public sealed record HandOverToAgent(string Notice, IReadOnlyDictionary<string, string> Context) : BotAction;

/// <summary>The bot's answer to one customer message: its new position and what to do.</summary>
public sealed record BotTurn(
    string FlowId,
    string StepId,
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyList<BotAction> Actions);
