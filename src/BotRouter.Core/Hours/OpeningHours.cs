using System.Globalization;
using System.Text.RegularExpressions;

namespace BotRouter.Core.Hours;

/// <summary>One time range of a day, in the team's local time; <see cref="End"/> may be 24:00.</summary>
public sealed record OpeningRange(TimeSpan Start, TimeSpan End);

/// <summary>
/// When a team's agents are there: weekly ranges in the team's time zone, minus closed dates. Parsed from
/// settings such as <c>Mon-Fri 09:00-17:00; Sat 10:00-14:00</c> and <c>2026-12-25,2026-12-26</c>.
/// </summary>
public sealed partial class OpeningHours
{
    /// <summary>How far ahead the next opening is looked for (a year of closed dates and then some).</summary>
    private const int LookAheadDays = 400;

    private static readonly string[] DayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    private readonly IReadOnlyList<OpeningRange>[] week;

    private OpeningHours(string team, TimeZoneInfo zone, string timeZoneId, string weekly, IReadOnlyList<OpeningRange>[] week, IReadOnlySet<DateOnly> closed)
    {
        Team = team;
        Zone = zone;
        TimeZoneId = timeZoneId;
        Weekly = weekly;
        this.week = week;
        Closed = closed;
    }

    public string Team { get; }

    public TimeZoneInfo Zone { get; }

    /// <summary>The IANA id as configured (shown by <c>GET /api/hours</c>).</summary>
    public string TimeZoneId { get; }

    /// <summary>The weekly hours as configured.</summary>
    public string Weekly { get; }

    /// <summary>Dates (in the team's time zone) when the team is closed all day.</summary>
    public IReadOnlySet<DateOnly> Closed { get; }

    /// <summary>The ranges of one day of the week, in local time.</summary>
    public IReadOnlyList<OpeningRange> On(DayOfWeek day) => week[(int)day];

    public bool IsOpen(DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, Zone);
        return !Closed.Contains(DateOnly.FromDateTime(local.DateTime))
            && On(local.DayOfWeek).Any(r => r.Start <= local.TimeOfDay && local.TimeOfDay < r.End);
    }

    /// <summary>The next moment the team is open (now, when it is open now), in the team's time zone; null when none is in sight.</summary>
    public DateTimeOffset? NextOpening(DateTimeOffset now)
    {
        if (IsOpen(now))
        {
            return TimeZoneInfo.ConvertTime(now, Zone);
        }

        var local = TimeZoneInfo.ConvertTime(now, Zone);
        var today = DateOnly.FromDateTime(local.DateTime);
        for (var d = 0; d < LookAheadDays; d++)
        {
            var date = today.AddDays(d);
            if (Closed.Contains(date))
            {
                continue;
            }

            foreach (var range in On(date.DayOfWeek).OrderBy(r => r.Start))
            {
                var start = date.ToDateTime(TimeOnly.MinValue) + range.Start;

                // A start inside a daylight-saving gap does not exist: the team opens when the clocks have jumped.
                while (Zone.IsInvalidTime(start))
                {
                    start = start.AddMinutes(30);
                }

                var at = new DateTimeOffset(start, Zone.GetUtcOffset(start));
                if (at > now)
                {
                    return TimeZoneInfo.ConvertTime(at, Zone);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Parses one team's settings. On failure <paramref name="error"/> is one line naming the setting
    /// (<c>Routing__Hours__{team}__…</c>) and what is wrong.
    /// </summary>
    public static OpeningHours? TryParse(string team, string? timeZone, string? weekly, string? closed, out string? error)
    {
        var setting = $"Routing__Hours__{team}__";
        error = null;
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            error = $"Missing setting {setting}TimeZone (an IANA time zone id, e.g. Europe/Amsterdam).";
            return null;
        }

        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone.Trim());
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            error = $"Setting {setting}TimeZone: '{timeZone}' is not a time zone known here (use an IANA id, e.g. Europe/Amsterdam).";
            return null;
        }

        if (string.IsNullOrWhiteSpace(weekly))
        {
            error = $"Missing setting {setting}Weekly (e.g. 'Mon-Fri 09:00-17:00; Sat 10:00-14:00').";
            return null;
        }

        var week = Enumerable.Range(0, 7).Select(_ => new List<OpeningRange>()).ToArray();
        foreach (var entry in weekly.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var problem = ParseEntry(entry, week);
            if (problem is not null)
            {
                error = $"Setting {setting}Weekly: {problem} in '{entry}' (expected e.g. 'Mon-Fri 09:00-17:00; Sat 10:00-14:00').";
                return null;
            }
        }

        if (week.All(d => d.Count == 0))
        {
            error = $"Setting {setting}Weekly has no opening time (expected e.g. 'Mon-Fri 09:00-17:00; Sat 10:00-14:00').";
            return null;
        }

        var dates = new HashSet<DateOnly>();
        foreach (var text in (closed ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                error = $"Setting {setting}Closed: '{text}' is not a date yyyy-MM-dd (expected e.g. '2026-12-25,2026-12-26').";
                return null;
            }

            dates.Add(date);
        }

        return new OpeningHours(team, zone, timeZone.Trim(), weekly.Trim(), [.. week.Select(d => (IReadOnlyList<OpeningRange>)d)], dates);
    }

    /// <summary>One entry <c>Mon-Fri,Sun 09:00-12:00,13:00-17:00</c>; returns what is wrong, or null.</summary>
    private static string? ParseEntry(string entry, List<OpeningRange>[] week)
    {
        var m = EntryPattern().Match(entry);
        if (!m.Success)
        {
            return "days and times must be separated by a space";
        }

        var days = new List<int>();
        foreach (var part in m.Groups["days"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-');
            if (ends.Length > 2 || Day(ends[0]) is not { } first || Day(ends[^1]) is not { } last)
            {
                return $"'{part}' is not a day or day range (Mon, Tue, Wed, Thu, Fri, Sat, Sun)";
            }

            // A range may wrap over the weekend: Fri-Mon is Fri, Sat, Sun, Mon.
            for (var d = first; ; d = (d + 1) % 7)
            {
                days.Add(d);
                if (d == last)
                {
                    break;
                }
            }
        }

        var ranges = new List<OpeningRange>();
        foreach (var part in m.Groups["times"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-');
            if (ends.Length != 2 || Time(ends[0]) is not { } start || Time(ends[1]) is not { } end)
            {
                return $"'{part}' is not a time range HH:mm-HH:mm";
            }

            if (start >= end)
            {
                return $"'{part}' ends before it starts (a range past midnight is two entries: 'Fri 22:00-24:00; Sat 00:00-02:00')";
            }

            ranges.Add(new OpeningRange(start, end));
        }

        if (ranges.Count == 0)
        {
            return "no time range";
        }

        foreach (var d in days.Distinct())
        {
            week[d].AddRange(ranges);
        }

        return null;
    }

    private static int? Day(string text)
    {
        var i = Array.FindIndex(DayNames, n => string.Equals(n, text.Trim(), StringComparison.OrdinalIgnoreCase));
        return i < 0 ? null : i;
    }

    private static TimeSpan? Time(string text)
    {
        var m = TimePattern().Match(text.Trim());
        if (!m.Success)
        {
            return null;
        }

        var hours = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var minutes = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        return hours < 24 || (hours == 24 && minutes == 0) ? new TimeSpan(hours, minutes, 0) : null;
    }

    [GeneratedRegex(@"^(?<days>[A-Za-z][A-Za-z,\- ]*?)\s+(?<times>\d.*)$")]
    private static partial Regex EntryPattern();

    [GeneratedRegex(@"^([01]\d|2[0-4]):([0-5]\d)$")]
    private static partial Regex TimePattern();
}
