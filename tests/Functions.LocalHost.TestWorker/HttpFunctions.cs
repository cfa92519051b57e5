using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Functions.LocalHost.TestWorker;

public sealed class HttpFunctions
{
    // Echoes what the test asks for, so the test can check that status, headers and body
    // travel through the host unchanged in both directions.
    [Function("Echo")]
    public static async Task<IActionResult> Echo(
        [HttpTrigger(AuthorizationLevel.Function, "get", "post", Route = "echo/{name}")] HttpRequest req,
        string name)
    {
        ArgumentNullException.ThrowIfNull(req);
        using var reader = new StreamReader(req.Body);
        var body = await reader.ReadToEndAsync(req.HttpContext.RequestAborted);
        var status = int.TryParse(req.Query["status"], out var s) ? s : StatusCodes.Status200OK;
        req.HttpContext.Response.Headers["x-echo-name"] = name;
        req.HttpContext.Response.Headers["x-echo-method"] = req.Method;
        if (req.Headers.TryGetValue("x-test", out var testHeader))
        {
            req.HttpContext.Response.Headers["x-echo-test"] = testHeader.ToString();
        }

        return new ContentResult
        {
            StatusCode = status,
            ContentType = "text/plain; charset=utf-8",
            Content = $"{name}|{body}",
        };
    }

    // Route parameter with a constraint and a typed binding.
    [Function("Item")]
    public static IActionResult Item(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/{id:int}/{kind?}")] HttpRequest req,
        int id,
        string? kind)
    {
        ArgumentNullException.ThrowIfNull(req);
        return new OkObjectResult(new { id, kind });
    }

    [Function("Throws")]
    public static IActionResult Throws(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get")] HttpRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        throw new InvalidOperationException("boom from the HTTP function");
    }

    // Runs for as long as asked unless cancelled (functionTimeout tests).
    [Function("Sleep")]
    public static async Task<IActionResult> Sleep(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "sleep/{ms:int}")] HttpRequest req,
        int ms,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(context);
        await Task.Delay(ms, context.CancellationToken);
        return new OkObjectResult("slept");
    }

    // A cheap handler for measuring the host's per-invocation overhead.
    [Function("Ping")]
    public static IActionResult Ping(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get")] HttpRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        return new OkObjectResult("pong");
    }
}
