using System.Text.Json;
using System.Text.Json.Nodes;

namespace BotRouter.Simulator.Endpoints;

/// <summary>
/// Reading CM request bodies the way CM's own (case-insensitive) deserializers do: CM's SDKs spell the same
/// key differently (<c>producttoken</c>, <c>productToken</c>), so the simulator must not insist on one casing.
/// </summary>
internal static class JsonFields
{
    /// <summary>The property <paramref name="name"/>: the exact spelling first, else any casing of it.</summary>
    public static JsonNode? Field(this JsonObject? obj, string name)
    {
        if (obj is null)
        {
            return null;
        }

        if (obj.TryGetPropertyValue(name, out var exact))
        {
            return exact;
        }

        foreach (var (key, value) in obj)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>The property as a string when it is a JSON string; null when absent, null or another kind.</summary>
    public static string? Text(this JsonObject? obj, string name) => StringOf(obj.Field(name));

    public static string? StringOf(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static JsonNode? Parse(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
