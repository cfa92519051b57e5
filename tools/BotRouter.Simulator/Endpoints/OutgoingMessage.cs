using System.Text.Json.Nodes;
using BotRouter.Core.Contracts;

namespace BotRouter.Simulator.Endpoints;

/// <summary>
/// One already validated BMProxy message, read leniently like CM: keys in any casing, unknown fields
/// (<c>customGrouping3</c>, <c>minimumNumberOfMessageParts</c>, <c>validity</c>, ...) ignored, rich content without
/// <c>body.content</c> allowed. The simulator reads the raw JSON rather than Core's <c>BmSendRequest</c> because it
/// must take what CM's SDKs send, not only what this app sends.
/// </summary>
internal sealed record OutgoingMessage(
    string From,
    IReadOnlyList<string> To,
    string Text,
    string? Channel,
    string? Reference,
    IReadOnlyList<BmSuggestion>? Suggestions,
    IReadOnlyList<BmMedia>? Media)
{
    public static OutgoingMessage Read(JsonObject msg)
    {
        var rich = msg.Field("richContent") as JsonObject;
        var conversation = (rich.Field("conversation") as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var media = conversation
            .Select(part => part.Field("media") as JsonObject)
            .Where(m => !string.IsNullOrWhiteSpace(m.Text("mediaUri")))
            .Select(m => new BmMedia { MediaName = m!.Text("mediaName"), MediaUri = m.Text("mediaUri")!, MimeType = m.Text("mimeType") })
            .ToList();
        var suggestions = (rich.Field("suggestions") as JsonArray)?.OfType<JsonObject>()
            .Where(s => !string.IsNullOrWhiteSpace(s.Text("label")))
            .Select(s => new BmSuggestion { Action = s.Text("action") ?? "reply", Label = s.Text("label")!, PostbackData = s.Text("postbackdata"), Url = s.Text("url") })
            .ToList();
        var channel = (msg.Field("allowedChannels") as JsonArray)?.Select(JsonFields.StringOf).FirstOrDefault(c => !string.IsNullOrWhiteSpace(c));
        var content = (msg.Field("body") as JsonObject).Text("content");
        return new OutgoingMessage(
            msg.Text("from")!,
            [.. ((JsonArray)msg.Field("to")!).Select(t => ((JsonObject)t!).Text("number")!)],
            string.IsNullOrEmpty(content) ? TextOf(conversation) : content,
            channel?.Trim(),
            string.IsNullOrWhiteSpace(msg.Text("reference")) ? null : msg.Text("reference"),
            suggestions is { Count: > 0 } ? suggestions : null,
            media.Count > 0 ? media : null);
    }

    /// <summary>What the customer sees of a rich message without <c>body.content</c>: its texts, media, templates and interactive parts.</summary>
    private static string TextOf(IEnumerable<JsonObject> conversation)
    {
        var parts = conversation.Select(part =>
            part.Text("text")
            ?? (part.Field("media") as JsonObject).Text("mediaUri")
            ?? TemplateName(part.Field("template") as JsonObject)
            ?? ((part.Field("interactive") as JsonObject).Field("body") as JsonObject).Text("text"));
        return string.Join("\n", parts.Where(p => !string.IsNullOrEmpty(p)));
    }

    private static string? TemplateName(JsonObject? template) =>
        template is null ? null : $"[template {(template.Field("whatsapp") as JsonObject).Text("element_name") ?? "(unnamed)"}]";
}
