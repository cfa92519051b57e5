using System.Globalization;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.TestWorker;

public sealed partial class QueueFunctions(ILogger<QueueFunctions> logger)
{
    // Records every processed message (with its trigger metadata) to a queue the test reads,
    // so the test observes the worker's view of the invocation rather than the host's.
    [Function("Record")]
    [QueueOutput("%ProcessedQueue%")]
    public async Task<string> Record(
        [QueueTrigger("%WorkQueue%")] string message,
        string id,
        long dequeueCount,
        DateTimeOffset insertionTime,
        string popReceipt,
        CancellationToken cancellationToken)
    {
        LogProcessing(logger, id, message);

        // "slow:<ms>|..." keeps the invocation in flight (concurrency, restart and shutdown tests).
        var started = DateTimeOffset.UtcNow;
        if (message.StartsWith("slow:", StringComparison.Ordinal) &&
            int.TryParse(message.AsSpan(5).ToString().Split('|')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var delay))
        {
            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The host's InvocationCancel (functionTimeout) reached the function's token.
                LogCancelled(logger, id);
                throw;
            }
        }

        // "stubborn:<ms>|..." ignores cancellation (functionTimeout: the host must restart the worker).
        if (message.StartsWith("stubborn:", StringComparison.Ordinal) &&
            int.TryParse(message.AsSpan(9).ToString().Split('|')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var stubborn))
        {
            await Task.Delay(stubborn, CancellationToken.None);
        }

        // The returned JSON string goes to the output queue; tests read what the worker saw.
        return JsonSerializer.Serialize(new ProcessedRecord(
            message,
            id,
            dequeueCount,
            insertionTime,
            !string.IsNullOrEmpty(popReceipt),
            Environment.ProcessId,
            started,
            DateTimeOffset.UtcNow));
    }

    // An SDK-type binding: the host must send ModelBindingData rather than the text.
    [Function("RecordSdkMessage")]
    [QueueOutput("%ProcessedQueue%")]
    public static string RecordSdkMessage([QueueTrigger("%SdkQueue%")] QueueMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = DateTimeOffset.UtcNow;
        return JsonSerializer.Serialize(new ProcessedRecord(
            message.MessageText,
            message.MessageId,
            message.DequeueCount,
            message.InsertedOn ?? DateTimeOffset.MinValue,
            !string.IsNullOrEmpty(message.PopReceipt),
            Environment.ProcessId,
            now,
            now));
    }

    [Function("AlwaysFails")]
    public void AlwaysFails([QueueTrigger("%FailingQueue%")] string message)
    {
        LogFailing(logger, message);
        throw new InvalidOperationException($"boom: {message}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Processing {MessageId}: {Message}")]
    private static partial void LogProcessing(ILogger logger, string messageId, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cancelled by the host: {MessageId}")]
    private static partial void LogCancelled(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failing on purpose for {Message}")]
    private static partial void LogFailing(ILogger logger, string message);
}

/// <summary>What the Record function writes to the output queue for each message.</summary>
public sealed record ProcessedRecord(
    string Message,
    string Id,
    long DequeueCount,
    DateTimeOffset InsertionTime,
    bool HasPopReceipt,
    int ProcessId,
    DateTimeOffset Started,
    DateTimeOffset Finished);
