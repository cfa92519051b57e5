using BotRouter.Core.Bots;
using BotRouter.Core.Flows;

namespace BotRouter.UnitTests;

/// <summary>An in-memory bot: answers from a script and remembers what it was asked.</summary>
internal sealed class ScriptedBot(FlowSet? flows = null) : IBot
{
    private readonly Queue<Func<BotInput, BotAnswer>> script = new();

    public List<BotInput> Inputs { get; } = [];

    public FlowSet? Flows => flows;

    public ScriptedBot Then(Func<BotInput, BotAnswer> answer)
    {
        script.Enqueue(answer);
        return this;
    }

    public ScriptedBot Then(BotAnswer answer) => Then(_ => answer);

    public Task<BotAnswer> AnswerAsync(BotInput input, CancellationToken cancellationToken)
    {
        Inputs.Add(input);
        return Task.FromResult(script.Count > 0 ? script.Dequeue()(input) : BotAnswer.Silent(input.State));
    }
}
