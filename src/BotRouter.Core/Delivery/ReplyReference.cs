using BotRouter.Core.Chats;

namespace BotRouter.Core.Delivery;

/// <summary>
/// The <c>reference</c> the app gives each reply. CM echoes it in delivery status reports, so it carries the
/// chat it belongs to: a report finds its chat without an index (no extra write per reply). 32 characters:
/// the chat id (22, base64url) and 10 of the call's own id.
/// </summary>
public static class ReplyReference
{
    private const int ChatChars = 22;
    private const int CallChars = 10;

    public static string For(ChatId chatId, string callId) =>
        Base64Url(Guid.Parse(chatId.ToString())) + callId[..Math.Min(CallChars, callId.Length)];

    /// <summary>The chat a reference of ours names; false for references the app did not make.</summary>
    public static bool TryParse(string? reference, out ChatId chatId)
    {
        chatId = default;
        if (reference is not { Length: > ChatChars and <= ChatChars + CallChars })
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        var base64 = reference[..ChatChars].Replace('-', '+').Replace('_', '/') + "==";
        return Convert.TryFromBase64String(base64, bytes, out var written)
            && written == 16
            && ChatId.TryParse(new Guid(bytes).ToString(), out chatId);
    }

    private static string Base64Url(Guid guid) =>
        Convert.ToBase64String(guid.ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
