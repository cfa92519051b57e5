namespace BotRouter.Core.Bots;

/// <summary>
/// How long one text message may be per channel, and how a longer bot text is cut into several, at word boundaries.
/// SMS: the app does not ask CM for concatenated SMS (BM's <c>maximumNumberOfMessageParts</c>), so a part is one
/// SMS of 160 characters; a longer text goes out as several SMS in order.
/// </summary>
public static class ChannelTextLimits
{
    public const int Default = 4096;

    private static readonly Dictionary<string, int> Limits = new(StringComparer.OrdinalIgnoreCase)
    {
        ["WhatsApp"] = 4096,
        ["Telegram"] = 4096,
        ["SMS"] = 160,
        ["Viber"] = 1000,
        ["Instagram"] = 1000,
        ["Facebook Messenger"] = 2000,
        ["Messenger"] = 2000,
        ["RCS"] = 3072,
        ["Apple Messages for Business"] = 10000,
        ["Apple Business Chat"] = 10000,
    };

    public static int For(string? channel) => channel is not null && Limits.TryGetValue(channel, out var limit) ? limit : Default;

    /// <summary>
    /// Parts of at most <paramref name="limit"/> characters, cut at the last white space that fits (a single word
    /// longer than the limit is cut hard, never inside a surrogate pair). The white space at a cut is dropped.
    /// </summary>
    public static IReadOnlyList<string> Split(string text, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 2);
        if (text.Length <= limit)
        {
            return [text];
        }

        var parts = new List<string>();
        var rest = text.AsSpan();
        while (rest.Length > limit)
        {
            var cut = -1;
            for (var i = limit; i > 0; i--)
            {
                if (char.IsWhiteSpace(rest[i]))
                {
                    cut = i;
                    break;
                }
            }

            var take = cut > 0 ? cut : char.IsHighSurrogate(rest[limit - 1]) ? limit - 1 : limit;
            var part = rest[..take].TrimEnd();
            if (part.Length > 0)
            {
                parts.Add(part.ToString());
            }

            rest = rest[take..].TrimStart();
        }

        if (rest.Length > 0)
        {
            parts.Add(rest.ToString());
        }

        return parts;
    }
}
