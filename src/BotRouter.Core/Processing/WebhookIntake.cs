using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BotRouter.Core.Processing;

/// <summary>
/// Accepts the Bot Router's webhooks: checks the secret, validates and appends to the chat's inbox
/// (deduplicated on the message itself). The caller then signals the chat's processor, for an accepted
/// message and for a duplicate alike (the first delivery may have been stored without its signal).
/// </summary>
public sealed partial class WebhookIntake(
    IChatStore store,
    IIdSource ids,
    TimeProvider time,
    IOptions<BotRouterOptions> router,
    IOptions<WebhookOptions> webhook,
    ILogger<WebhookIntake> logger)
{
    public const int MaxBodyBytes = 1024 * 1024;

    public async Task<IntakeResult> AcceptAsync(string? presentedSecret, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken)
    {
        if (!IsAuthorized(presentedSecret))
        {
            return new IntakeResult.Refused(new Refusal(RefusalKind.Unauthorized, "Unauthorized", "Header X-Webhook-Secret is missing or wrong."));
        }

        if (body is not { } bytes)
        {
            return new IntakeResult.Refused(new Refusal(RefusalKind.TooLarge, "Payload too large", $"The webhook body is limited to {MaxBodyBytes} bytes."));
        }

        MoMessage? mo;
        try
        {
            mo = JsonSerializer.Deserialize(bytes.Span, CoreJson.Default.MoMessage);
        }
        catch (JsonException e)
        {
            return IntakeResult.Invalid("Invalid JSON", $"The body is not a CM MO webhook: {e.Message}");
        }

        if (mo is null)
        {
            return IntakeResult.Invalid("Invalid JSON", "The body must be a JSON object.");
        }

        if (Validate(mo) is { } refusal)
        {
            return refusal;
        }

        var chatId = ChatId.Parse(mo.ConversationalRouter!.ChatId!);
        System.Diagnostics.Activity.Current?.SetTag("botrouter.chat_id", chatId.ToString());
        var now = time.GetUtcNow();
        var item = new InboxItem(InboxItem.NewKey(now, ids), InboxKind.Customer, Encoding.UTF8.GetString(bytes.Span), now);
        var added = await store.AppendAsync(chatId, item, Identity(mo), cancellationToken);

        if (!added)
        {
            LogDuplicate(chatId);
            return new IntakeResult.Duplicate(chatId);
        }

        BotRouterTelemetry.MessagesReceived.Add(1, new KeyValuePair<string, object?>("channel", mo.Channel));
        return new IntakeResult.Accepted(chatId);
    }

    /// <summary>
    /// What makes a message this message: CM redelivers the very same body, while two different messages may
    /// share a <c>reference</c> (it names the outgoing message they reply to). So the key covers the reference,
    /// the time, the sender and the content, never the reference alone.
    /// </summary>
    public static string Identity(MoMessage mo)
    {
        var custom = mo.Message?.Custom is { } c ? c.GetRawText() : string.Empty;
        var parts = string.Join('\u001f', mo.Reference, mo.TimeUtc?.ToString("O", System.Globalization.CultureInfo.InvariantCulture), mo.From?.Number, mo.Channel, mo.Message?.Text, mo.Message?.Media?.MediaUri, custom);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(parts)));
    }

    /// <summary>Constant-time check of the shared secret; true when none is configured.</summary>
    private bool IsAuthorized(string? presentedSecret)
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

    private IntakeResult.Refused? Validate(MoMessage mo)
    {
        if (mo.ConversationalRouter is not { } cr)
        {
            return Invalid("Missing conversationalRouter", "The webhook must carry conversationalRouter {chatId, accountId}.");
        }

        if (!ChatId.TryParse(cr.ChatId, out _))
        {
            return Invalid("Invalid chatId", "conversationalRouter.chatId must be a GUID.");
        }

        if (!Guid.TryParse(cr.AccountId, out var account) || account != Guid.Parse(router.Value.AccountId))
        {
            return Invalid("Wrong accountId", "conversationalRouter.accountId does not match this app's Bot Router account.");
        }

        if (string.IsNullOrWhiteSpace(mo.Reference))
        {
            return Invalid("Missing reference", "reference is required: with the time, sender and content it identifies the message, so a redelivery is answered once.");
        }

        if (string.IsNullOrWhiteSpace(mo.From?.Number) || string.IsNullOrWhiteSpace(mo.To?.Number))
        {
            return Invalid("Missing from or to", "from.number and to.number are required to reply.");
        }

        return null;
    }

    private static IntakeResult.Refused Invalid(string title, string detail) => new(new Refusal(RefusalKind.Invalid, title, detail));

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Chat {ChatId}: duplicate webhook (the very same message) acknowledged, not queued again")]
    private partial void LogDuplicate(ChatId chatId);
}
