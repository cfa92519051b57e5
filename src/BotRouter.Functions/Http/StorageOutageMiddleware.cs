using BotRouter.Core.Chats;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace BotRouter.Functions.Http;

/// <summary>
/// The one place a storage outage becomes an HTTP answer: every route answers 503 problem details (the Bot
/// Router retries a webhook it got 503 for). Queue-triggered functions let it fail, so the queue retries.
/// </summary>
public sealed class StorageOutageMiddleware : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (StorageUnavailableException e) when (context.GetHttpContext() is { } http)
        {
            await Answer(e).ExecuteAsync(http);
        }
    }

    /// <summary>What every route answers while storage is down.</summary>
    public static Microsoft.AspNetCore.Http.IResult Answer(StorageUnavailableException e) => Problems.StorageUnavailable(e);
}
