using System.Text.RegularExpressions;

namespace BotRouter.Core.Flows;

/// <summary>
/// A declarative flow bot. Pure: the same position, variables and text always give the same turn.
/// </summary>
public sealed partial class FlowBot(FlowSet flows)
{
    private const int MaxChainedSteps = 8;
    private static readonly IReadOnlyDictionary<string, string> NoContext = new Dictionary<string, string>();

    public FlowSet Flows { get; } = flows;

    public BotTurn Respond(string? flowId, string? stepId, IReadOnlyDictionary<string, string> variables, string? text)
    {
        var input = text?.Trim() ?? string.Empty;
        var current = Flows.Flows.FirstOrDefault(f => f.Id == flowId);
        var step = current?.Steps.FirstOrDefault(s => s.Id == stepId);

        if (ContainsAnyWord(input, Flows.HandOver.Keywords))
        {
            var position = step is null ? (Flows.StartFlow, Flows.StartStep) : (current!, step);
            return new BotTurn(position.Item1.Id, position.Item2.Id, variables,
                [new HandOverToAgent(Flows.HandOver.Notice, Flows.HandOver.Context ?? NoContext)]);
        }

        if (current is null || step is null)
        {
            return Enter(Flows.StartFlow, Flows.StartStep, variables, []);
        }

        if (step.Choices is { Count: > 0 } choices)
        {
            var choice = Match(choices, input);
            if (choice is null)
            {
                return new BotTurn(current.Id, step.Id, variables,
                    [new Say($"{Flows.Fallback} {Render(step.Prompt, variables)}", Labels(step))]);
            }

            if (choice.HandOver is { } target)
            {
                return new BotTurn(current.Id, step.Id, variables, [HandOver(target)]);
            }

            var (nextFlow, nextStep) = Resolve(current, choice.Next);
            return Enter(nextFlow, nextStep, variables, []);
        }

        if (step.Input is { } spec)
        {
            if (input.Length == 0 || (spec.Pattern is { } pattern && !Regex.IsMatch(input, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100))))
            {
                return new BotTurn(current.Id, step.Id, variables,
                    [new Say(spec.Invalid ?? $"{Flows.Fallback} {Render(step.Prompt, variables)}", [])]);
            }

            var saved = new Dictionary<string, string>(variables) { [spec.SaveAs] = input };
            var (nextFlow, nextStep) = Resolve(current, spec.Next);
            return Enter(nextFlow, nextStep, saved, []);
        }

        // The conversation reached its end (or waits on nothing): a new message starts over.
        return Enter(Flows.StartFlow, Flows.StartStep, variables, []);
    }

    /// <summary>The turn for positioning the bot at a step (hand-back): the step's prompt, and what it leads to.</summary>
    public BotTurn EnterAt(string flowId, string stepId, IReadOnlyDictionary<string, string> variables)
    {
        var flow = Flows.Flows.First(f => f.Id == flowId);
        return Enter(flow, flow.Steps.First(s => s.Id == stepId), variables, []);
    }

    private BotTurn Enter(Flow flow, Step step, IReadOnlyDictionary<string, string> variables, List<BotAction> actions)
    {
        for (var depth = 0; ; depth++)
        {
            actions.Add(new Say(Render(step.Prompt, variables), Labels(step)));
            if (step.HandOver is { } target)
            {
                actions.Add(HandOver(target));
                return new BotTurn(flow.Id, step.Id, variables, actions);
            }

            var waits = step.Choices is { Count: > 0 } || step.Input is not null;
            if (waits || step.Next is null || depth == MaxChainedSteps)
            {
                return new BotTurn(flow.Id, step.Id, variables, actions);
            }

            (flow, step) = Resolve(flow, step.Next);
        }
    }

    private HandOverToAgent HandOver(HandOverTarget target) =>
        new(target.Notice ?? Flows.HandOver.Notice, target.Context ?? Flows.HandOver.Context ?? NoContext);

    /// <summary>Resolves <c>stepId</c> (same flow) or <c>flowId/stepId</c>; the flows were validated on load.</summary>
    private (Flow Flow, Step Step) Resolve(Flow current, string? reference)
    {
        var (flowId, stepId) = FlowSetValidator.SplitReference(current.Id, reference!);
        var flow = Flows.Flows.First(f => f.Id == flowId);
        return (flow, flow.Steps.First(s => s.Id == stepId));
    }

    private static Choice? Match(IReadOnlyList<Choice> choices, string input)
    {
        if (input.Length == 0)
        {
            return null;
        }

        return choices.FirstOrDefault(c => string.Equals(c.Label, input, StringComparison.OrdinalIgnoreCase))
            ?? choices.FirstOrDefault(c => c.Keywords is { } words && ContainsAnyWord(input, words));
    }

    private static List<string> Labels(Step step) =>
        step.Choices is { Count: > 0 } choices ? choices.Select(c => c.Label).ToList() : [];

    /// <summary>Whole-word, case-insensitive: "Agent!" matches "agent", "agents" and "reagent" do not.</summary>
    internal static bool ContainsAnyWord(string text, IEnumerable<string> words)
    {
        if (text.Length == 0)
        {
            return false;
        }

        var tokens = WordPattern().Matches(text).Select(m => m.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return words.Any(tokens.Contains);
    }

    internal static string Render(string template, IReadOnlyDictionary<string, string> variables) =>
        variables.Count == 0
            ? template
            : PlaceholderPattern().Replace(template, m => variables.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\{([A-Za-z0-9_]+)\}")]
    private static partial Regex PlaceholderPattern();
}
