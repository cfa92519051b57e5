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
    /// <summary>Longest idempotency key accepted (it is hashed into a row key, so only a sanity bound).</summary>
    public const int MaxIdempotencyKeyLength = 256;

    /// <param name="idempotencyKey">
    /// The caller's key for this command (HTTP <c>Idempotency-Key</c>): a command sent again with the same key, after
    /// the first answer was lost, is stored once (answered as a duplicate) instead of taking effect twice.
    /// </param>
    public async Task<IntakeResult> SubmitAsync(ChatId chatId, OperatorCommand command, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (idempotencyKey is { Length: > MaxIdempotencyKeyLength })
        {
            return IntakeResult.Invalid("Invalid Idempotency-Key", $"Idempotency-Key is limited to {MaxIdempotencyKeyLength} characters.");
        }

        if (command.Action == OperatorAction.HandBack && Validate(command) is { } refusal)
        {
            return refusal;
        }

        var now = time.GetUtcNow();
        var payload = JsonSerializer.Serialize(command, CoreJson.Default.OperatorCommand);
        var dedupeKey = string.IsNullOrEmpty(idempotencyKey) ? null : string.Join('\u001f', "operator", command.Action, idempotencyKey);
        return await store.AppendAsync(chatId, new InboxItem(InboxItem.NewKey(now, ids), InboxKind.Operator, payload, now), dedupeKey, cancellationToken)
            ? new IntakeResult.Accepted(chatId)
            : new IntakeResult.Duplicate(chatId);
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
