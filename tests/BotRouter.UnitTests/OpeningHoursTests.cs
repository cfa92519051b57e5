using BotRouter.Core.Configuration;
using BotRouter.Core.Hours;
using BotRouter.Core.Processing;

namespace BotRouter.UnitTests;

/// <summary>Routing__Hours__&lt;team&gt;__*: the format, open-now and the next opening, and one line per bad setting.</summary>
public class OpeningHoursTests
{
    private const string Week = "Mon-Fri 09:00-17:00; Sat 10:00-14:00";

    // Amsterdam is UTC+1 in November.
    private static readonly DateTimeOffset ThursdayMorning = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private static OpeningHours Hours(string weekly = Week, string? closed = null, string zone = "Europe/Amsterdam")
    {
        var hours = OpeningHours.TryParse("billing", zone, weekly, closed, out var error);
        Assert.True(hours is not null, error);
        return hours;
    }

    private static string? Validate(string? zone, string? weekly, string? closed = null)
    {
        var options = new RoutingOptions();
        options.Hours["billing"] = new TeamHoursOptions { TimeZone = zone, Weekly = weekly, Closed = closed };
        var result = new RoutingOptionsValidator().Validate(null, options);
        return result.Succeeded ? null : Assert.Single(result.Failures!);
    }

    [Fact]
    public void Open_inside_the_weekly_hours_in_the_teams_time_zone()
    {
        var hours = Hours();

        Assert.True(hours.IsOpen(ThursdayMorning)); // 11:00 in Amsterdam
        Assert.True(hours.IsOpen(new DateTimeOffset(2026, 11, 26, 15, 59, 0, TimeSpan.Zero))); // 16:59
        Assert.False(hours.IsOpen(new DateTimeOffset(2026, 11, 26, 16, 0, 0, TimeSpan.Zero))); // 17:00: the end is not open
        Assert.False(hours.IsOpen(new DateTimeOffset(2026, 11, 26, 7, 59, 0, TimeSpan.Zero))); // 08:59
    }

    [Fact]
    public void After_hours_the_next_opening_is_the_next_working_morning_in_local_time()
    {
        var next = Hours().NextOpening(new DateTimeOffset(2026, 11, 26, 16, 30, 0, TimeSpan.Zero));

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.FromHours(1)), next);
        Assert.Equal(TimeSpan.FromHours(1), next!.Value.Offset);
        Assert.Equal("Friday 27 November 09:00", ConversationRules.Format(next));
    }

    [Fact]
    public void Saturday_afternoon_waits_for_monday_and_a_closed_date_is_skipped()
    {
        var saturday = new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero); // 15:00, after Saturday's hours

        Assert.Equal(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.FromHours(1)), Hours().NextOpening(saturday));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.FromHours(1)), Hours(closed: "2026-11-30").NextOpening(saturday));
    }

    [Fact]
    public void A_closed_date_is_closed_all_day_in_the_teams_time_zone()
    {
        var hours = Hours(closed: "2026-12-25, 2026-11-26");

        Assert.False(hours.IsOpen(ThursdayMorning));
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.FromHours(1)), hours.NextOpening(ThursdayMorning));
    }

    [Fact]
    public void When_open_the_next_opening_is_now()
    {
        Assert.Equal(ThursdayMorning, Hours().NextOpening(ThursdayMorning));
    }

    [Fact]
    public void Day_ranges_may_wrap_over_the_weekend_and_a_day_may_have_several_ranges()
    {
        var hours = Hours("Fri-Mon 10:00-12:00,13:00-24:00");

        Assert.True(hours.IsOpen(new DateTimeOffset(2026, 11, 29, 22, 30, 0, TimeSpan.Zero))); // Sunday 23:30
        Assert.False(hours.IsOpen(new DateTimeOffset(2026, 11, 29, 11, 30, 0, TimeSpan.Zero))); // Sunday 12:30, the break
        Assert.False(hours.IsOpen(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero))); // Tuesday
    }

    [Fact]
    public void An_opening_inside_the_spring_forward_gap_is_when_the_clocks_have_jumped()
    {
        // Amsterdam skips 02:00-03:00 on Sunday 28 March 2027.
        var next = Hours("Sun 02:30-05:00").NextOpening(new DateTimeOffset(2027, 3, 27, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal(new DateTimeOffset(2027, 3, 28, 3, 0, 0, TimeSpan.FromHours(2)), next);
    }

    [Fact]
    public void A_team_without_hours_of_its_own_has_the_default_hours_and_without_those_is_always_open()
    {
        var options = new RoutingOptions();
        options.Hours["default"] = new TeamHoursOptions { TimeZone = "Etc/UTC", Weekly = "Mon 00:00-01:00" };
        options.Hours["billing"] = new TeamHoursOptions { TimeZone = "Europe/Amsterdam", Weekly = Week };
        var teams = TeamHours.Parse(options.Hours, []);

        Assert.Equal("billing", teams.For(new Dictionary<string, string> { ["team"] = "Billing" })!.Team);
        Assert.Equal("default", teams.For(new Dictionary<string, string> { ["team"] = "sales" })!.Team);
        Assert.Equal("default", teams.For(new Dictionary<string, string>())!.Team);
        Assert.Null(TeamHours.None.For(new Dictionary<string, string> { ["team"] = "billing" }));
    }

    [Theory]
    [InlineData("Mon-Fri 9-17", "Setting Routing__Hours__billing__Weekly: '9-17' is not a time range HH:mm-HH:mm in 'Mon-Fri 9-17'")]
    [InlineData("Mon-Fry 09:00-17:00", "Setting Routing__Hours__billing__Weekly: 'Mon-Fry' is not a day or day range")]
    [InlineData("Mon 17:00-09:00", "Setting Routing__Hours__billing__Weekly: '17:00-09:00' ends before it starts")]
    [InlineData("Mon 09:00-24:30", "Setting Routing__Hours__billing__Weekly: '09:00-24:30' is not a time range")]
    [InlineData("09:00-17:00", "Setting Routing__Hours__billing__Weekly: days and times must be separated")]
    [InlineData(" ; ", "Setting Routing__Hours__billing__Weekly has no opening time")]
    public void A_bad_weekly_setting_names_the_setting_and_the_part_that_is_wrong(string weekly, string expected)
    {
        Assert.StartsWith(expected, Validate("Europe/Amsterdam", weekly), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_time_zone_names_the_setting()
    {
        Assert.StartsWith("Setting Routing__Hours__billing__TimeZone: 'Mars/Olympus' is not a time zone", Validate("Mars/Olympus", Week), StringComparison.Ordinal);
        Assert.StartsWith("Missing setting Routing__Hours__billing__TimeZone", Validate(null, Week), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_weekly_hours_and_bad_closed_dates_name_the_setting()
    {
        Assert.StartsWith("Missing setting Routing__Hours__billing__Weekly", Validate("Europe/Amsterdam", null), StringComparison.Ordinal);
        Assert.StartsWith("Setting Routing__Hours__billing__Closed: '25-12-2026' is not a date yyyy-MM-dd", Validate("Europe/Amsterdam", Week, "2026-12-24,25-12-2026"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_out_of_hours_policy_is_handover_or_keep_bot()
    {
        var validator = new RoutingOptionsValidator();

        Assert.Equal(OutOfHoursPolicy.HandOver, new RoutingOptions().Policy);
        Assert.Equal(OutOfHoursPolicy.KeepBot, new RoutingOptions { OutOfHours = "Keep-Bot" }.Policy);
        Assert.True(validator.Validate(null, new RoutingOptions { OutOfHours = "keep-bot" }).Succeeded);
        Assert.Equal(["Setting Routing__OutOfHours must be 'handover' or 'keep-bot', not 'never'."], validator.Validate(null, new RoutingOptions { OutOfHours = "never" }).Failures);
        Assert.Equal(["Setting Routing__OutOfHoursNotice must not be empty (leave it unset for the default)."], validator.Validate(null, new RoutingOptions { OutOfHoursNotice = " " }).Failures);
    }
}
