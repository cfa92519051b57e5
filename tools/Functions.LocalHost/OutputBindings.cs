using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure;
using Functions.LocalHost.Rpc;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>
/// Applies a successful invocation's output bindings this host implements (queue): values from
/// InvocationResponse output_data (return_value for <c>$return</c>), one message per value or
/// array element, encoded per host.json messageEncoding, queue created if missing; then the
/// queue's listeners in this host are woken (the Storage extension's SharedQueueWatcher).
/// </summary>
internal sealed class OutputBindings(QueueClientFactory queues, QueueTriggerOptions queueOptions, QueueWatcher watcher, ILogger logger)
{
    private readonly ConcurrentDictionary<string, bool> warned = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the function has outputs this host writes (then an HTTP response waits for them).</summary>
    public static bool HasHostOutputs(FunctionDescriptor function) =>
        function.Bindings.Any(b => b.IsOutput && !string.Equals(b.Type, "http", StringComparison.OrdinalIgnoreCase));

    public async Task ApplyAsync(FunctionDescriptor function, InvocationResponse response, CancellationToken cancellationToken)
    {
        foreach (var binding in function.Bindings.Where(b => b.IsOutput))
        {
            if (string.Equals(binding.Type, "http", StringComparison.OrdinalIgnoreCase))
            {
                // With the ASP.NET Core integration the worker writes the HTTP response itself.
                continue;
            }

            var data = binding.Name == "$return"
                ? response.ReturnValue
                : response.OutputData.FirstOrDefault(o => o.Name == binding.Name)?.Data;
            if (data is null || data.DataCase == TypedData.DataOneofCase.None)
            {
                continue;
            }

            if (!string.Equals(binding.Type, "queue", StringComparison.OrdinalIgnoreCase))
            {
                if (warned.TryAdd($"{function.Name}/{binding.Type}", true))
                {
                    Log.OutputBindingUnsupported(logger, function.Name, binding.Type);
                }

                continue;
            }

            var queueName = binding.GetString("queueName") ?? throw new InvalidOperationException($"Queue output of {function.Name} has no queueName.");
            var connection = binding.GetString("connection");
            foreach (var payload in ToPayloads(data))
            {
                await SendAsync(connection, queueName, queueOptions.Encode(payload), cancellationToken);
                watcher.Notify(queueName);
            }
        }
    }

    private async Task SendAsync(string? connection, string queueName, string text, CancellationToken cancellationToken)
    {
        var client = await queues.GetAsync(connection, queueName, cancellationToken);
        try
        {
            await client.SendMessageAsync(text, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Deleted since it was created and cached: create it again and retry once, as the
            // extension's add-and-create-if-not-exists does.
            queues.Forget(connection, queueName);
            client = await queues.GetAsync(connection, queueName, cancellationToken);
            await client.SendMessageAsync(text, cancellationToken);
        }
    }

    // Null and empty values write nothing (an unset output property is "no message").
    private static IEnumerable<BinaryData> ToPayloads(TypedData data)
    {
        switch (data.DataCase)
        {
            case TypedData.DataOneofCase.String when data.String.Length > 0:
                yield return BinaryData.FromString(data.String);
                break;
            case TypedData.DataOneofCase.Bytes when !data.Bytes.IsEmpty:
                yield return BinaryData.FromBytes(data.Bytes.ToByteArray());
                break;
            case TypedData.DataOneofCase.Stream when !data.Stream.IsEmpty:
                yield return BinaryData.FromBytes(data.Stream.ToByteArray());
                break;
            case TypedData.DataOneofCase.String or TypedData.DataOneofCase.Bytes or TypedData.DataOneofCase.Stream:
                break;
            case TypedData.DataOneofCase.Int:
                yield return BinaryData.FromString(data.Int.ToString(CultureInfo.InvariantCulture));
                break;
            case TypedData.DataOneofCase.Double:
                yield return BinaryData.FromString(data.Double.ToString(CultureInfo.InvariantCulture));
                break;
            case TypedData.DataOneofCase.CollectionString:
                foreach (var s in data.CollectionString.String.Where(s => s.Length > 0))
                {
                    yield return BinaryData.FromString(s);
                }

                break;
            case TypedData.DataOneofCase.CollectionBytes:
                foreach (var b in data.CollectionBytes.Bytes.Where(b => !b.IsEmpty))
                {
                    yield return BinaryData.FromBytes(b.ToByteArray());
                }

                break;
            case TypedData.DataOneofCase.Json:
                // An array is several messages (IAsyncCollector / string[] semantics); a JSON string is its text.
                using (var document = JsonDocument.Parse(data.Json))
                {
                    var root = document.RootElement;
                    var elements = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root];
                    foreach (var element in elements.Where(e => e.ValueKind != JsonValueKind.Null && !(e.ValueKind == JsonValueKind.String && e.GetString()!.Length == 0)))
                    {
                        yield return element.ValueKind == JsonValueKind.String
                            ? BinaryData.FromString(element.GetString()!)
                            : BinaryData.FromString(element.GetRawText());
                    }
                }

                break;
            default:
                throw new NotSupportedException($"Queue output of type {data.DataCase} is not supported.");
        }
    }
}
