using System.Text.Json;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;
using BotRouter.Core.Bots;

namespace BotRouter.Core.Processing;

/// <summary>
/// Accepts operator routing commands (hand-over, take-over, hand-back, reset): validates them and appends them
/// to the chat's inbox, so they take effect in order with the customer's messages; the caller signals the chat.
/// </summary>
public sealed class OperatorIntake(IChatStore store, IIdSource ids, TimeProvider time, IBot bot)
{
    public async Task<IntakeResult> SubmitAsync(ChatId chatId, OperatorCommand command, CancellationToken cancellationToken)
    {
        if (command.Action == OperatorAction.HandBack && Validate(command) is { } refusal)
        {
            return refusal;
        }

        var now = time.GetUtcNow();
        var payload = JsonSerializer.Serialize(command, CoreJson.Default.OperatorCommand);
        await store.AppendAsync(chatId, new InboxItem(InboxItem.NewKey(now, ids), InboxKind.Operator, payload, now), null, cancellationToken);
        return new IntakeResult.Accepted(chatId);
    }

    private IntakeResult? Validate(OperatorCommand command)
    {
        if (command.FlowId is null && command.StepId is null)
        {
            return null;
        }

        if (command.FlowId is null || command.StepId is null)
        {
            return IntakeResult.Invalid("Incomplete position", "A hand-back position needs both flowId and stepId.");
        }

        // A bot without flows (rest, openai) is told the position as it is; only flows can be checked here.
        return bot.Flows is { } flows && flows.FindStep(command.FlowId, command.StepId) is null
            ? IntakeResult.Invalid("Unknown flow or step", $"'{command.FlowId}/{command.StepId}' is not a step of the bot's flows; see GET /api/flows.")
            : null;
    }
}
