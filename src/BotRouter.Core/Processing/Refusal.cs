namespace BotRouter.Core.Processing;

/// <summary>Why something handed to the app was refused. The HTTP layer decides the status code.</summary>
public enum RefusalKind
{
    /// <summary>The input is malformed or names something that does not exist.</summary>
    Invalid,

    /// <summary>The caller did not prove who it is (a missing or wrong shared secret).</summary>
    Unauthorized,

    /// <summary>The input is larger than the app accepts.</summary>
    TooLarge,
}

/// <summary>A refusal with a short title and a detail that tells the caller what to fix.</summary>
public sealed record Refusal(RefusalKind Kind, string Title, string Detail);
