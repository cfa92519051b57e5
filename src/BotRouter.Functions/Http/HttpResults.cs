using BotRouter.Core.Chats;
using BotRouter.Core.Processing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace BotRouter.Functions.Http;

/// <summary>
/// Lets a function return a minimal-API <see cref="IResult"/> (problem details, typed JSON) through the
/// Functions ASP.NET Core integration, which executes <see cref="IActionResult"/>s.
/// </summary>
public sealed class FunctionResult(IResult inner) : IActionResult, IResult
{
    public IResult Inner { get; } = inner;

    public Task ExecuteResultAsync(ActionContext context) => Inner.ExecuteAsync(context.HttpContext);

    public Task ExecuteAsync(HttpContext httpContext) => Inner.ExecuteAsync(httpContext);
}

internal static class Problems
{
    public static FunctionResult Of(Refusal refusal) => Problem(refusal.Status, refusal.Title, refusal.Detail);

    public static FunctionResult Problem(int status, string title, string detail) =>
        new(Results.Problem(detail: detail, statusCode: status, title: title));

    public static FunctionResult StorageUnavailable(StorageUnavailableException e) =>
        Problem(StatusCodes.Status503ServiceUnavailable, "Storage unavailable", $"{e.Message} Nothing was accepted; retry later.");

    public static FunctionResult Result(this IResult result) => new(result);
}
