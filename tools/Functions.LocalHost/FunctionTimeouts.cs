using System.Globalization;
using System.Text.Json.Nodes;

namespace Functions.LocalHost;

/// <summary>
/// host.json <c>functionTimeout</c> as the Functions host reads it outside Windows Consumption
/// (Flex Consumption, Premium, Dedicated): 30 minutes by default, no upper bound, "-1" for none,
/// at least one second.
/// </summary>
public static class FunctionTimeouts
{
    /// <summary>The host's default outside Windows Consumption.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromMinutes(30);

    /// <summary>The host's lower bound.</summary>
    public static readonly TimeSpan Minimum = TimeSpan.FromSeconds(1);

    /// <summary>The effective timeout, or null for none ("-1").</summary>
    /// <exception cref="InvalidDataException">The value is below one second or not a time span.</exception>
    public static TimeSpan? FromHostJson(JsonObject hostJson)
    {
        ArgumentNullException.ThrowIfNull(hostJson);
        var node = hostJson.FirstOrDefault(p => string.Equals(p.Key, "functionTimeout", StringComparison.OrdinalIgnoreCase)).Value;
        if (node is null)
        {
            return Default;
        }

        if (node is not JsonValue value || !value.TryGetValue(out string? text) || !TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var timeout))
        {
            throw new InvalidDataException($"host.json functionTimeout = {node.ToJsonString()} is not a time span (hh:mm:ss, or -1 for none).");
        }

        // "-1" parses as minus one day: the host's spelling of "no timeout" on non-Consumption plans.
        if (timeout == TimeSpan.FromDays(-1))
        {
            return null;
        }

        if (timeout < Minimum)
        {
            throw new InvalidDataException($"host.json functionTimeout = {text} is out of range; the Functions host stops start-up with: FunctionTimeout must be greater than {Minimum:c} and less than {TimeSpan.MaxValue:c}.");
        }

        return timeout;
    }
}
