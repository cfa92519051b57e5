using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Contracts;
using BotRouter.Core.Flows;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BotRouter.Core.Processing;

/// <summary>Why a request was refused; the HTTP layer turns it into problem details.</summary>
public sealed record Refusal(int Status, string Title, string Detail);

/// <summary>The outcome of handing something to the app: accepted (queued) or refused, with why.</summary>
public sealed record IntakeResult(string? ChatId, bool Duplicate, Refusal? Refusal)
{
    public bool Accepted => Refusal is null;

    public static IntakeResult Refused(int status, string title, string detail) => new(null, false, new Refusal(status, title, detail));
}

/// <summary>
/// Accepts the Bot Router's webhooks: validates, appends to the chat's inbox (deduplicated on CM's
/// reference) and wakes the inbound processor. Only then may the caller answer 200.
/// </summary>
public sealed partial class WebhookIntake(
    IChatStore store,
    IWorkSignals signals,
    IIdSource ids,
    TimeProvider time,
    IOptions<BotRouterOptions> router,
    IOptions<WebhookOptions> webhook,
    ILogger<WebhookIntake> logger)
{
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Constant-time check of the shared secret; true when none is configured.</summary>
    public bool IsAuthorized(string? presentedSecret)
    {
        var expected = webhook.Value.SharedSecret;
        if (string.IsNullOrEmpty(expected))
        {
            return true;
        }

        return presentedSecret is not null
            && CryptographicOperations.FixedTimeEquals(
                SHA256.HashData(Encoding.UTF8.GetBytes(presentedSecret)),
                SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    public async Task<IntakeResult> AcceptAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        MoMessage? mo;
        try
        {
            mo = JsonSerializer.Deserialize(body.Span, CoreJson.Default.MoMessage);
        }
        catch (JsonException e)
        {
            return IntakeResult.Refused(400, "Invalid JSON", $"The body is not a CM MO webhook: {e.Message}");
        }

        if (mo is null)
        {
            return IntakeResult.Refused(400, "Invalid JSON", "The body must be a JSON object.");
        }

        if (Validate(mo) is { } refusal)
        {
            return new IntakeResult(null, false, refusal);
        }

        var chatId = NormalizeChatId(mo.ConversationalRouter!.ChatId)!;
        System.Diagnostics.Activity.Current?.SetTag("botrouter.chat_id", chatId);
        var now = time.GetUtcNow();
        var item = new InboxItem(InboxItem.NewKey(now, ids), InboxKind.Customer, Encoding.UTF8.GetString(body.Span), now);
        var added = await store.AppendAsync(chatId, item, mo.Reference, cancellationToken);

        // Signal even for a duplicate: the first delivery may have been stored without its signal.
        await signals.SignalAsync(WorkStage.Inbound, chatId, TimeSpan.Zero, cancellationToken);
        if (added)
        {
            BotRouterTelemetry.MessagesReceived.Add(1, new KeyValuePair<string, object?>("channel", mo.Channel));
        }
        else
        {
            LogDuplicate(chatId);
        }

        return new IntakeResult(chatId, !added, null);
    }

    private Refusal? Validate(MoMessage mo)
    {
        if (mo.ConversationalRouter is not { } cr)
        {
            return new Refusal(400, "Missing conversationalRouter", "The webhook must carry conversationalRouter {chatId, accountId}.");
        }

        if (NormalizeChatId(cr.ChatId) is null)
        {
            return new Refusal(400, "Invalid chatId", "conversationalRouter.chatId must be a GUID.");
        }

        if (!Guid.TryParse(cr.AccountId, out var account) || account != Guid.Parse(router.Value.AccountId))
        {
            return new Refusal(400, "Wrong accountId", "conversationalRouter.accountId does not match this app's Bot Router account.");
        }

        if (string.IsNullOrWhiteSpace(mo.Reference))
        {
            return new Refusal(400, "Missing reference", "reference is required: it identifies the message so a redelivery is answered once.");
        }

        if (string.IsNullOrWhiteSpace(mo.From?.Number) || string.IsNullOrWhiteSpace(mo.To?.Number))
        {
            return new Refusal(400, "Missing from or to", "from.number and to.number are required to reply.");
        }

        return null;
    }

    public static string? NormalizeChatId(string? chatId) =>
        Guid.TryParse(chatId, out var g) ? g.ToString("D") : null;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Chat {ChatId}: duplicate webhook (same reference) acknowledged, not queued again")]
    private partial void LogDuplicate(string chatId);
}

/// <summary>
/// Accepts operator routing commands (hand-over, take-over, hand-back, reset): validates them and
/// queues them in the chat's inbox, so they take effect in order with the customer's messages.
/// </summary>
public sealed class OperatorIntake(IChatStore store, IWorkSignals signals, IIdSource ids, TimeProvider time, FlowBot bot)
{
    public async Task<IntakeResult> SubmitAsync(string? chatIdText, OperatorCommand command, CancellationToken cancellationToken)
    {
        if (WebhookIntake.NormalizeChatId(chatIdText) is not { } chatId)
        {
            return IntakeResult.Refused(400, "Invalid chatId", "chatId must be a GUID.");
        }

        if (command.Action == OperatorAction.HandBack && Validate(command) is { } refusal)
        {
            return new IntakeResult(null, false, refusal);
        }

        var now = time.GetUtcNow();
        var payload = JsonSerializer.Serialize(command, CoreJson.Default.OperatorCommand);
        await store.AppendAsync(chatId, new InboxItem(InboxItem.NewKey(now, ids), InboxKind.Operator, payload, now), null, cancellationToken);
        await signals.SignalAsync(WorkStage.Inbound, chatId, TimeSpan.Zero, cancellationToken);
        return new IntakeResult(chatId, false, null);
    }

    private Refusal? Validate(OperatorCommand command)
    {
        if (command.FlowId is null && command.StepId is null)
        {
            return null;
        }

        if (command.FlowId is null || command.StepId is null)
        {
            return new Refusal(400, "Incomplete position", "A hand-back position needs both flowId and stepId.");
        }

        return bot.Flows.FindStep(command.FlowId, command.StepId) is null
            ? new Refusal(400, "Unknown flow or step", $"'{command.FlowId}/{command.StepId}' is not a step of the bot's flows; see GET /api/flows.")
            : null;
    }
}
