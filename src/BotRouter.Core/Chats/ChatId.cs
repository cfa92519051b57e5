using System.Diagnostics.CodeAnalysis;

namespace BotRouter.Core.Chats;

/// <summary>
/// The Bot Router's id of a chat: a GUID, parsed once where it enters the app (webhook, operator route,
/// queue signal), so nothing below the edge validates or normalizes strings again.
/// </summary>
public readonly record struct ChatId
{
    private readonly Guid value;

    private ChatId(Guid value) => this.value = value;

    public static ChatId New() => new(Guid.NewGuid());

    public static bool TryParse([NotNullWhen(true)] string? text, out ChatId chatId)
    {
        var ok = Guid.TryParse(text, out var guid);
        chatId = new ChatId(guid);
        return ok;
    }

    public static ChatId Parse(string text) =>
        TryParse(text, out var chatId) ? chatId : throw new FormatException("A chat id is a GUID.");

    /// <summary>The canonical form (lower-case, hyphenated), as stored and as sent to the router.</summary>
    public override string ToString() => value.ToString("D");
}
