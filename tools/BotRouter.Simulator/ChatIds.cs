using System.Security.Cryptography;
using System.Text;

namespace BotRouter.Simulator;

/// <summary>
/// The simulator's stand-in for CM's chatId: "the hash of the channel + from + to fields transposed to a guid".
/// CM does not publish its algorithm, so this is a name-based UUID (RFC 9562 version 5, SHA-1) in a
/// simulator-only namespace. Only the simulator computes it; the app always takes the chatId from the webhook.
/// </summary>
public static class ChatIds
{
    private static readonly Guid Namespace = new("3f7d1c9a-5b1e-4c55-9a55-0c3b5f0e6a11");

    public static string For(string channel, string customerNumber, string businessNumber)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var name = $"{channel.Trim().ToUpperInvariant()}\n{PhoneNumbers.Normalize(customerNumber)}\n{PhoneNumbers.Normalize(businessNumber)}";
        Span<byte> input = stackalloc byte[16];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        var bytes = new byte[16 + Encoding.UTF8.GetByteCount(name)];
        input.CopyTo(bytes);
        Encoding.UTF8.GetBytes(name, bytes.AsSpan(16));
#pragma warning disable CA5350 // RFC 9562 version-5 UUIDs are defined on SHA-1; this names a chat, it protects nothing.
        var hash = SHA1.HashData(bytes);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}

public static class PhoneNumbers
{
    /// <summary>CM accepts 00-prefixed numbers as well as +-prefixed ones; both name the same party.</summary>
    public static string Normalize(string? number)
    {
        var trimmed = (number ?? string.Empty).Trim().Replace(" ", string.Empty, StringComparison.Ordinal);
        return trimmed.StartsWith("00", StringComparison.Ordinal) ? "+" + trimmed[2..] : trimmed;
    }
}
