using System.Text.Json;
using System.Text.RegularExpressions;
using BotRouter.Core.Contracts;

namespace BotRouter.Core.Flows;

/// <summary>Loads a flows file and refuses one the bot could trip over at run time.</summary>
public static class FlowSetValidator
{
    public static FlowSet LoadDefault()
    {
        using var stream = typeof(FlowSetValidator).Assembly.GetManifestResourceStream("BotRouter.Core.default-flows.json")
            ?? throw new InvalidOperationException("The default flows resource is missing from the build.");
        return Load(stream, "the shipped default flows");
    }

    public static FlowSet LoadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>The flows of <paramref name="path"/>, or null and why not (missing file, bad JSON, invalid flows).</summary>
    public static FlowSet? TryLoadFile(string path, out string? problem)
    {
        try
        {
            problem = null;
            return LoadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
        {
            problem = e is InvalidDataException ? e.Message : $"cannot read flows file {path}: {e.Message}";
            return null;
        }
    }

    public static FlowSet Load(Stream json, string source)
    {
        FlowSet? flows;
        try
        {
            flows = JsonSerializer.Deserialize(json, CoreJson.Default.FlowSet);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Flows in {source} are not valid JSON: {e.Message}", e);
        }

        if (flows is null)
        {
            throw new InvalidDataException($"Flows in {source} are empty.");
        }

        var errors = Validate(flows).ToList();
        return errors.Count == 0
            ? flows
            : throw new InvalidDataException($"Flows in {source} are invalid: {string.Join("; ", errors)}");
    }

    public static (string FlowId, string StepId) SplitReference(string currentFlowId, string reference)
    {
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (currentFlowId, reference) : (reference[..slash], reference[(slash + 1)..]);
    }

    public static IEnumerable<string> Validate(FlowSet flows)
    {
        if (flows.Flows.Count == 0 || flows.Flows[0].Steps.Count == 0)
        {
            yield return "the first flow must have a first step (the greeting)";
            yield break;
        }

        foreach (var dup in flows.Flows.GroupBy(f => f.Id).Where(g => g.Count() > 1))
        {
            yield return $"flow id '{dup.Key}' is used twice";
        }

        foreach (var flow in flows.Flows)
        {
            foreach (var dup in flow.Steps.GroupBy(s => s.Id).Where(g => g.Count() > 1))
            {
                yield return $"step id '{flow.Id}/{dup.Key}' is used twice";
            }

            foreach (var step in flow.Steps)
            {
                var where = $"{flow.Id}/{step.Id}";
                var targets = (step.Choices ?? []).Select(c => c.Next)
                    .Append(step.Input?.Next).Append(step.Next).OfType<string>();
                foreach (var target in targets)
                {
                    var (f, s) = SplitReference(flow.Id, target);
                    if (flows.FindStep(f, s) is null)
                    {
                        yield return $"{where} leads to '{target}', which is not a step";
                    }
                }

                foreach (var choice in step.Choices ?? [])
                {
                    if ((choice.Next is null) == (choice.HandOver is null))
                    {
                        yield return $"{where} choice '{choice.Label}' needs exactly one of next or handOver";
                    }
                }

                if (step.Input?.Pattern is { } pattern && !IsRegex(pattern))
                {
                    yield return $"{where} input pattern is not a valid regular expression";
                }
            }
        }
    }

    private static bool IsRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
