using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace BotRouter.Functions.Http;

/// <summary>Reads request bodies with a hard size limit, so an oversize body is refused before it is buffered.</summary>
internal static class RequestBody
{
    /// <returns>The body, or null when it is larger than <paramref name="limit"/> bytes.</returns>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is > 0 and var n ? (int)n : 4096);
        while (true)
        {
            var span = buffer.GetMemory(8192);
            var read = await request.Body.ReadAsync(span, cancellationToken);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                return null;
            }
        }
    }

    /// <summary>An optional JSON body: empty gives <paramref name="empty"/>; invalid JSON gives an error message.</summary>
    public static async Task<(T? Value, string? Error, bool TooLarge)> ReadJsonAsync<T>(HttpRequest request, JsonTypeInfo<T> type, T empty, CancellationToken cancellationToken)
    {
        const int limit = 64 * 1024;
        var body = await ReadAsync(request, limit, cancellationToken);
        if (body is not { } bytes)
        {
            return (default, null, true);
        }

        if (bytes.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return (empty, null, false);
        }

        try
        {
            var value = JsonSerializer.Deserialize(bytes.Span, type);
            return value is null ? (default, "The body must be a JSON object.", false) : (value, null, false);
        }
        catch (JsonException e)
        {
            return (default, $"The body is not valid JSON for this request: {e.Message}", false);
        }
    }
}
