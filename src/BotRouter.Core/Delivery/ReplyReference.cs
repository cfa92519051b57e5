using BotRouter.Core.Chats;

namespace BotRouter.Core.Delivery;

/// <summary>
/// The <c>reference</c> the app gives each reply. CM echoes it in delivery status reports, so it carries the
/// chat it belongs to: a report finds its chat without an index (no extra write per reply). At most 32
/// characters: a marker, the chat id (22, base64url), a check character and up to 8 characters of the call id.
/// </summary>
public static class ReplyReference
{
    private const char Marker = 'r';
    private const int ChatChars = 22;
    private const int CallChars = 8;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public static string For(ChatId chatId, string callId)
    {
        var bytes = Guid.Parse(chatId.ToString()).ToByteArray();
        return Marker + Base64Url(bytes) + Check(bytes) + callId[..Math.Min(CallChars, callId.Length)];
    }

    /// <summary>The chat a reference of ours names; false for references the app did not make.</summary>
    public static bool TryParse(string? reference, out ChatId chatId)
    {
        chatId = default;
        if (reference is not { Length: > ChatChars + 2 and <= ChatChars + 2 + CallChars } || reference[0] != Marker)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        var base64 = reference.Substring(1, ChatChars).Replace('-', '+').Replace('_', '/') + "==";
        return Convert.TryFromBase64String(base64, bytes, out var written)
            && written == 16
            && reference[ChatChars + 1] == Check(bytes)
            && ChatId.TryParse(new Guid(bytes).ToString(), out chatId);
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A check character, so a reference of someone else's that happens to decode is not taken for ours.</summary>
    private static char Check(ReadOnlySpan<byte> bytes)
    {
        var sum = 0;
        foreach (var b in bytes)
        {
            sum = ((sum * 31) + b) % 64;
        }

        return Alphabet[sum];
    }
}
