using System.Globalization;
using System.Text.RegularExpressions;

namespace BotRouter.Core.Configuration;

/// <summary>
/// Durations as people write them in settings: .NET's <c>d.hh:mm:ss</c> and also <c>hh:mm[:ss]</c> with 24 hours or
/// more (<c>24:00:00</c>, <c>48:00</c>), which <see cref="TimeSpan.Parse(string)"/> refuses.
/// </summary>
public static partial class Durations
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (HoursPattern().Match(text.Trim()) is { Success: true } m)
        {
            duration = new TimeSpan(
                int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0);
            return m.Groups[2].Value.Length == 2 && int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) < 60
                && (!m.Groups[3].Success || int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) < 60);
        }

        return TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out duration);
    }

    [GeneratedRegex(@"^(\d{1,5}):(\d{2})(?::(\d{2}))?$")]
    private static partial Regex HoursPattern();
}
