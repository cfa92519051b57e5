namespace BotRouter.Core.Configuration;

/// <summary>One team's opening hours as set (<c>Routing__Hours__&lt;team&gt;__TimeZone</c>, <c>__Weekly</c>, <c>__Closed</c>).</summary>
public sealed class TeamHoursOptions
{
    /// <summary>An IANA time zone id, e.g. <c>Europe/Amsterdam</c>.</summary>
    public string? TimeZone { get; set; }

    /// <summary>e.g. <c>Mon-Fri 09:00-17:00; Sat 10:00-14:00</c>.</summary>
    public string? Weekly { get; set; }

    /// <summary>Dates closed all day, in the team's time zone: <c>2026-12-25,2026-12-26</c>.</summary>
    public string? Closed { get; set; }
}
