using System.Text.Json;
using BotRouter.Core.Bots;

namespace BotRouter.Azure.Bots;

/// <summary>Reads a REST bot's answer strictly: anything not of the protocol's shape is refused with a reason.</summary>
public static class RestBotAnswer
{
    /// <summary>The answer, or null and why it is malformed (the reason names fields, never the bot's text).</summary>
    public static (BotAnswer? Answer, string? Problem) Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            return (null, $"not JSON: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return (null, $"expected an array of messages, got {document.RootElement.ValueKind}");
            }

            var replies = new List<BotReply>();
            BotHandOver? handOver = null;
            var index = 0;
            foreach (var item in document.RootElement.EnumerateArray())
            {
                var problem = Read(item, $"[{index++}]", replies, ref handOver);
                if (problem is not null)
                {
                    return (null, problem);
                }
            }

            return (new BotAnswer(replies, handOver), null);
        }
    }

    private static string? Read(JsonElement item, string at, List<BotReply> replies, ref BotHandOver? handOver)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return $"{at} is {item.ValueKind}, not an object";
        }

        string? text = null;
        string? image = null;
        var suggestions = new List<BotSuggestion>();
        if (item.TryGetProperty("text", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind != JsonValueKind.String)
            {
                return $"{at}.text is {t.ValueKind}, not a string";
            }

            text = t.GetString();
        }

        if (item.TryGetProperty("image", out var i) && i.ValueKind != JsonValueKind.Null)
        {
            if (i.ValueKind != JsonValueKind.String || !Uri.TryCreate(i.GetString(), UriKind.Absolute, out _))
            {
                return $"{at}.image is not a URL string";
            }

            image = i.GetString();
        }

        if (item.TryGetProperty("buttons", out var b) && b.ValueKind != JsonValueKind.Null)
        {
            if (b.ValueKind != JsonValueKind.Array)
            {
                return $"{at}.buttons is {b.ValueKind}, not an array";
            }

            var n = 0;
            foreach (var button in b.EnumerateArray())
            {
                if (button.ValueKind != JsonValueKind.Object
                    || !button.TryGetProperty("title", out var title) || title.ValueKind != JsonValueKind.String
                    || (button.TryGetProperty("payload", out var p) && p.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)))
                {
                    return $"{at}.buttons[{n}] needs a string title (and a string payload, if any)";
                }

                suggestions.Add(new BotSuggestion(title.GetString()!, button.TryGetProperty("payload", out var payload) ? payload.GetString() : null));
                n++;
            }
        }

        if (item.TryGetProperty("custom", out var custom) && custom.ValueKind == JsonValueKind.Object
            && custom.TryGetProperty("handover", out var h))
        {
            if (h.ValueKind != JsonValueKind.Object)
            {
                return $"{at}.custom.handover is {h.ValueKind}, not an object";
            }

            var context = new Dictionary<string, string>();
            if (h.TryGetProperty("context", out var c) && c.ValueKind != JsonValueKind.Null)
            {
                if (c.ValueKind != JsonValueKind.Object)
                {
                    return $"{at}.custom.handover.context is {c.ValueKind}, not an object";
                }

                foreach (var value in c.EnumerateObject())
                {
                    // Customer Contact matches context values as strings; numbers and booleans keep their JSON text.
                    switch (value.Value.ValueKind)
                    {
                        case JsonValueKind.String when value.Value.GetString() is { Length: > 0 } s:
                            context[value.Name] = s;
                            break;
                        case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                            context[value.Name] = value.Value.GetRawText();
                            break;
                        case JsonValueKind.String or JsonValueKind.Null:
                            break;
                        default:
                            return $"{at}.custom.handover.context.{value.Name} is {value.Value.ValueKind}, not a string";
                    }
                }
            }

            handOver = new BotHandOver(context);
        }

        if (text is { Length: > 0 } || image is not null)
        {
            replies.Add(new BotReply(text ?? string.Empty, suggestions, image is null ? null : new BotMedia(image)));
        }
        else if (suggestions.Count > 0)
        {
            // Buttons without a text of their own belong to the text before them.
            if (replies.Count == 0)
            {
                return $"{at}.buttons come without a text to attach them to";
            }

            replies[^1] = replies[^1] with { Suggestions = [.. replies[^1].Suggestions, .. suggestions] };
        }

        return null;
    }
}
