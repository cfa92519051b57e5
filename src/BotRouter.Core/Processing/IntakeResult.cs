using BotRouter.Core.Chats;

namespace BotRouter.Core.Processing;

/// <summary>What became of something handed to the app: accepted (stored, to be processed), a duplicate, or refused.</summary>
public abstract record IntakeResult
{
    public sealed record Accepted(ChatId ChatId) : IntakeResult;

    /// <summary>The very same message was accepted before; nothing new was stored.</summary>
    public sealed record Duplicate(ChatId ChatId) : IntakeResult;

    public sealed record Refused(Refusal Refusal) : IntakeResult;

    /// <summary>Status reports taken: how many came, and how many were for replies this app sent.</summary>
    public sealed record Reports(int Received, int Recorded) : IntakeResult;

    public static IntakeResult Invalid(string title, string detail) => new Refused(new Refusal(RefusalKind.Invalid, title, detail));
}
