using System.Globalization;
using System.Text.Json;
using BotRouter.Core.Chats;
using BotRouter.Core.Processing;
using Microsoft.Extensions.Logging;

namespace BotRouter.Core.Delivery;

/// <summary>
/// Accepts CM's delivery status reports: every well-formed report is accepted (CM retries for days otherwise),
/// and the ones for replies this app sent are recorded against the reply. Unknown references are ignored.
/// </summary>
public sealed partial class StatusReportIntake(IChatStore store, TimeProvider time, ILogger<StatusReportIntake> logger)
{
    public const int MaxBodyBytes = 256 * 1024;

    /// <returns>How many reports came and how many were for this app's replies; or refused for a body that is not a status report.</returns>
    public async Task<IntakeResult> AcceptAsync(ReadOnlyMemory<byte>? body, CancellationToken cancellationToken)
    {
        if (body is not { } bytes)
        {
            return new IntakeResult.Refused(new Refusal(RefusalKind.TooLarge, "Payload too large", $"Status reports are limited to {MaxBodyBytes} bytes."));
        }

        List<DeliveryReport> reports;
        try
        {
            reports = Parse(bytes);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return IntakeResult.Invalid("Not a status report", $"Expected {{\"messages\":{{\"msg\": {{\"reference\", \"status\": {{\"code\"}}}} or [...]}}}}: {e.Message}");
        }

        var recorded = 0;
        foreach (var report in reports)
        {
            BotRouterTelemetry.DeliveryReports.Add(1, new KeyValuePair<string, object?>("status", report.Status.ToString().ToLowerInvariant()));
            if (!ReplyReference.TryParse(report.Reference, out var chatId))
            {
                LogUnknown(report.Status);
                continue;
            }

            await store.RecordDeliveryAsync(chatId, report, cancellationToken);
            recorded++;
        }

        return new IntakeResult.Reports(reports.Count, recorded);
    }

    private List<DeliveryReport> Parse(ReadOnlyMemory<byte> bytes)
    {
        using var doc = JsonDocument.Parse(bytes);
        var msg = Property(Property(doc.RootElement, "messages"), "msg");
        var items = msg.ValueKind == JsonValueKind.Array ? [.. msg.EnumerateArray()] : new List<JsonElement> { msg };
        var reports = new List<DeliveryReport>();
        foreach (var item in items)
        {
            var status = Property(item, "status");
            var code = Property(status, "code");
            var number = code.ValueKind == JsonValueKind.String ? int.Parse(code.GetString()!, CultureInfo.InvariantCulture) : code.GetInt32();
            if (!Enum.IsDefined((DeliveryStatus)number))
            {
                throw new FormatException($"status.code {number} is not one of CM's status codes (0-4).");
            }

            var reference = Optional(item, "reference") is { ValueKind: JsonValueKind.String } r ? r.GetString()! : string.Empty;
            var received = Optional(item, "received") is { ValueKind: JsonValueKind.String } t && DateTimeOffset.TryParse(t.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? at
                : time.GetUtcNow();
            var errorCode = Optional(status, "errorCode") is { ValueKind: JsonValueKind.Number } ec ? ec.GetInt32() : (int?)null;
            var description = Optional(status, "errorDescription") is { ValueKind: JsonValueKind.String } ed ? ed.GetString() : null;
            reports.Add(new DeliveryReport(reference, (DeliveryStatus)number, received, errorCode, description));
        }

        return reports;
    }

    private static JsonElement Property(JsonElement element, string name) =>
        Optional(element, name) ?? throw new FormatException($"'{name}' is missing.");

    /// <summary>CM's casing varies between products; match names case-insensitively.</summary>
    private static JsonElement? Optional(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var p in element.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Debug, Message = "Status report ({Status}) for a reference this app did not make; acknowledged and ignored")]
    private partial void LogUnknown(DeliveryStatus status);
}
