using BotRouter.Core.Configuration;

namespace BotRouter.Core.Hours;

/// <summary>
/// The opening hours of each team (<c>Routing__Hours__&lt;team&gt;__*</c>). A hand-over's team is the <c>team</c>
/// value of its context; a team without hours of its own has the <c>default</c> team's; without those, it is always open.
/// </summary>
public sealed class TeamHours
{
    public const string DefaultTeam = "default";

    /// <summary>The context key whose value names the team.</summary>
    public const string TeamKey = "team";

    private readonly Dictionary<string, OpeningHours> teams;

    private TeamHours(IEnumerable<OpeningHours> teams) =>
        this.teams = teams.ToDictionary(t => t.Team, StringComparer.OrdinalIgnoreCase);

    public static TeamHours None { get; } = new([]);

    public IReadOnlyCollection<OpeningHours> All => teams.Values;

    /// <summary>The hours that apply to a hand-over with this context; null when its team is always open.</summary>
    public OpeningHours? For(IReadOnlyDictionary<string, string>? context) =>
        context is not null && context.TryGetValue(TeamKey, out var team) && teams.TryGetValue(team, out var own) ? own
        : teams.GetValueOrDefault(DefaultTeam);

    /// <summary>Parses every team's settings, adding one line per wrong setting to <paramref name="errors"/>.</summary>
    public static TeamHours Parse(IReadOnlyDictionary<string, TeamHoursOptions> settings, List<string> errors)
    {
        var parsed = new List<OpeningHours>();
        foreach (var (team, options) in settings.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (OpeningHours.TryParse(team, options.TimeZone, options.Weekly, options.Closed, out var error) is { } hours)
            {
                parsed.Add(hours);
            }
            else
            {
                errors.Add(error!);
            }
        }

        return new TeamHours(parsed);
    }
}
