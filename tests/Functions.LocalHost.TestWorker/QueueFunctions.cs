using System.Globalization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.TestWorker;

public sealed partial class QueueFunctions(ILogger<QueueFunctions> logger)
{
    // Records every processed message (with its trigger metadata) to a queue the test reads,
    // so the test observes the worker's view of the invocation rather than the host's.
    [Function("Record")]
    [QueueOutput("processed")]
    public async Task<string> Record(
        [QueueTrigger("work")] string message,
        string id,
        long dequeueCount,
        DateTimeOffset insertionTime,
        string popReceipt,
        CancellationToken cancellationToken)
    {
        LogProcessing(logger, id, message);

        // "slow:<ms>" lets tests keep invocations in flight (concurrency, restarts).
        if (message.StartsWith("slow:", StringComparison.Ordinal) &&
            int.TryParse(message.AsSpan(5).ToString().Split('|')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var delay))
        {
            await Task.Delay(delay, cancellationToken);
        }

        return string.Join(
            '|',
            message,
            id,
            dequeueCount.ToString(CultureInfo.InvariantCulture),
            insertionTime.ToString("O", CultureInfo.InvariantCulture),
            string.IsNullOrEmpty(popReceipt) ? "no-pop" : "pop",
            Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    }

    [Function("AlwaysFails")]
    public void AlwaysFails([QueueTrigger("failing")] string message)
    {
        LogFailing(logger, message);
        throw new InvalidOperationException($"boom: {message}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Processing {MessageId}: {Message}")]
    private static partial void LogProcessing(ILogger logger, string messageId, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failing on purpose for {Message}")]
    private static partial void LogFailing(ILogger logger, string message);
}
