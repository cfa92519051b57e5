namespace BotRouter.Simulator;

/// <summary>The simulator's log events. Never the product token, the webhook secret or message text.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Bot Router simulator: {Options}")]
    public static partial void Started(ILogger logger, SimulatorOptions options);

    [LoggerMessage(2, LogLevel.Warning, "No product token configured (Simulator__ProductToken or BotRouter__ProductToken): any non-empty X-CM-PRODUCTTOKEN is accepted")]
    public static partial void AnyProductToken(ILogger logger);

    [LoggerMessage(10, LogLevel.Information, "Bot Router {Kind} for chat {ChatId} answered {Status}")]
    public static partial void RouterCall(ILogger logger, string kind, string? chatId, int status);

    [LoggerMessage(20, LogLevel.Information, "MO {Reference} of chat {ChatId} posted to the webhook (attempt {Attempt}): {Status}")]
    public static partial void WebhookPosted(ILogger logger, string reference, string chatId, int attempt, int status);

    [LoggerMessage(21, LogLevel.Information, "Customer message {Reference} of chat {ChatId} went to the agent inbox (bot disabled)")]
    public static partial void ToAgentInbox(ILogger logger, string reference, string chatId);

    [LoggerMessage(25, LogLevel.Information, "Status report {Status} for reply {Reference} of chat {ChatId} posted (attempt {Attempt}): {AppStatus}")]
    public static partial void StatusReportPosted(ILogger logger, string status, string reference, string chatId, int attempt, int appStatus);

    [LoggerMessage(26, LogLevel.Warning, "Status report {Status} for reply {Reference} of chat {ChatId} given up after {Attempts} attempt(s); last answer {AppStatus}")]
    public static partial void StatusReportGivenUp(ILogger logger, string status, string reference, string chatId, int attempts, int appStatus);

    [LoggerMessage(30, LogLevel.Warning, "The app did not answer {Method} {Path}: {Error}")]
    public static partial void AppUnreachable(ILogger logger, string method, string? path, string error);
}
