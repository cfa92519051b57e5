using BotRouter.Core.Flows;

namespace BotRouter.Core.Bots;

/// <summary>The built-in flow bot behind the bot port. Its state is its position and variables, kept by the chat.</summary>
public sealed class FlowsBot(FlowBot flows) : IBot
{
    public FlowSet? Flows => flows.Flows;

    public Task<BotAnswer> AnswerAsync(BotInput input, CancellationToken cancellationToken) =>
        Task.FromResult(Answer(input));

    public BotAnswer Answer(BotInput input) => input.Event switch
    {
        BotEvent.Message when input.NewSession => Of(flows.Respond(null, null, new Dictionary<string, string>(), input.Message.Text)),
        BotEvent.Message => Of(flows.Respond(input.Position?.FlowId, input.Position?.StepId, input.Variables, input.Message.Text)),
        BotEvent.HandBack when input.Position is { } at && flows.Flows.FindStep(at.FlowId, at.StepId) is not null =>
            Of(flows.EnterAt(at.FlowId, at.StepId, input.Variables)),

        // Handed back without a position the flow bot waits where it was, quietly, as it always did.
        BotEvent.HandBack => BotAnswer.Silent(),
        BotEvent.Reset => new BotAnswer([], Position: new BotPosition(flows.Flows.StartFlow.Id, flows.Flows.StartStep.Id),
            Variables: new Dictionary<string, string>()),
        _ => throw new ArgumentOutOfRangeException(nameof(input), input.Event, "Unknown bot event."),
    };

    private static BotAnswer Of(BotTurn turn)
    {
        var replies = new List<BotReply>();
        BotHandOver? handOver = null;
        foreach (var action in turn.Actions)
        {
            switch (action)
            {
                case Say say:
                    replies.Add(BotReply.Of(say.Text, [.. say.Suggestions]));
                    break;
                // The flow bot's hand-over is always its last action, so its notice still comes after the other replies.
                case HandOverToAgent h:
                    handOver = new BotHandOver(h.Context, h.Notice);
                    break;
            }
        }

        return new BotAnswer(replies, handOver, null, new BotPosition(turn.FlowId, turn.StepId), turn.Variables);
    }
}
