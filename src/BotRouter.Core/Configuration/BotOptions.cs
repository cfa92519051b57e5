namespace BotRouter.Core.Configuration;

/// <summary>The bot. Bound from the <c>Bot</c> section.</summary>
public sealed class BotOptions
{
    public const string Section = "Bot";
    public const string DefaultInstructions =
        "You are the customer service assistant of this business, chatting with a customer on a messaging channel. " +
        "Answer briefly and politely in the customer's language. When you cannot help, or the customer asks for a person, " +
        "call handover_to_agent.";

    /// <summary><c>flows</c> (default), <c>rest</c> or <c>openai</c>: which bot answers.</summary>
    public string Kind { get; set; } = BotKinds.Flows;

    /// <summary>A flows JSON file; empty means the flows shipped with the app.</summary>
    public string? FlowsPath { get; set; }

    /// <summary>The REST bot's endpoint (<c>rest</c>).</summary>
    public Uri? Url { get; set; }

    /// <summary>Base URL of an OpenAI-compatible API (<c>openai</c>), e.g. <c>https://api.openai.com/v1</c>.</summary>
    public Uri? Endpoint { get; set; }
    public string? Model { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c>; may be empty for local servers. Never logged.</summary>
    public string? ApiKey { get; set; }
    public string Instructions { get; set; } = DefaultInstructions;

    /// <summary>How many earlier customer/bot exchanges the <c>openai</c> bot remembers per chat.</summary>
    public int MemoryTurns { get; set; } = 10;

    /// <summary>How many characters the <c>openai</c> bot's memory of a chat may take; the oldest turns go first.</summary>
    public int MemoryChars { get; set; } = 12_000;

    /// <summary>One attempt's time limit for a <c>rest</c> or <c>openai</c> bot call (retried up to twice).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>After this long without a customer message, the next one starts a new session (every bot kind).</summary>
    public TimeSpan SessionTimeout { get; set; } = Processing.ConversationRules.DefaultSessionTimeout;

    /// <summary>What the customer is told when a bot's answer cannot be understood.</summary>
    public string Fallback { get; set; } = "Sorry, something went wrong on our side. Please try again in a moment.";

    public bool Is(string kind) => string.Equals(Kind?.Trim(), kind, StringComparison.OrdinalIgnoreCase);

    public override string ToString() =>
        $"Bot {{ Kind = {Kind}, Url = {Url}, Endpoint = {Endpoint}, Model = {Model}, ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "none" : "***")} }}";
}

/// <summary>The values of <c>Bot__Kind</c>.</summary>
public static class BotKinds
{
    public const string Flows = "flows";
    public const string Rest = "rest";
    public const string OpenAi = "openai";

    public static readonly IReadOnlyList<string> All = [Flows, Rest, OpenAi];
}
