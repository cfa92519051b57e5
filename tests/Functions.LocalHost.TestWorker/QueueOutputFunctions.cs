using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Functions.LocalHost.TestWorker;

public sealed class QueueOutputFunctions
{
    // An HTTP response plus queue messages, the app's "200 means durably queued" shape: one
    // message per non-empty body line; no lines → null → nothing is written.
    [Function("Enqueue")]
    public static async Task<EnqueueResult> Enqueue(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "enqueue")] HttpRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        using var reader = new StreamReader(req.Body);
        var lines = (await reader.ReadToEndAsync(req.HttpContext.RequestAborted))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new EnqueueResult
        {
            Result = new OkObjectResult(new { queued = lines.Length }),
            Messages = lines.Length == 0 ? null : lines,
        };
    }

    // The single-message spelling: the whole body, or null when it is empty.
    [Function("EnqueueOne")]
    public static async Task<EnqueueOneResult> EnqueueOne(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "enqueue-one")] HttpRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        using var reader = new StreamReader(req.Body);
        var body = await reader.ReadToEndAsync(req.HttpContext.RequestAborted);
        return new EnqueueOneResult
        {
            Result = new ContentResult { StatusCode = StatusCodes.Status202Accepted, Content = "accepted", ContentType = "text/plain" },
            Message = body.Length == 0 ? null : body,
        };
    }

    // Writes the trigger metadata exactly as the worker received it (binding data) to the output queue.
    [Function("RecordMetadata")]
    [QueueOutput("%ProcessedQueue%")]
    public static string RecordMetadata([QueueTrigger("%MetadataQueue%")] string message, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.BindingContext.BindingData.ToDictionary(p => p.Key, p => p.Value?.ToString());
        return JsonSerializer.Serialize(new { message, data });
    }
}

public sealed class EnqueueResult
{
    [HttpResult]
    public IActionResult? Result { get; set; }

    [QueueOutput("%OutboxQueue%", Connection = "AzureWebJobsStorage")]
    public string[]? Messages { get; set; }
}

public sealed class EnqueueOneResult
{
    [HttpResult]
    public IActionResult? Result { get; set; }

    [QueueOutput("%OutboxQueue%", Connection = "AzureWebJobsStorage")]
    public string? Message { get; set; }
}
