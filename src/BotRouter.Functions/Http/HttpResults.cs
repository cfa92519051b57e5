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
    /// <summary>The one place an intake outcome that is not an acceptance becomes an HTTP answer.</summary>
    public static FunctionResult Of(IntakeResult result) => result switch
    {
        IntakeResult.Refused { Refusal: var r } => Problem(StatusOf(r.Kind), r.Title, r.Detail),
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, "Only refusals are problems."),
    };

    public static FunctionResult InvalidChatId() => Problem(StatusCodes.Status400BadRequest, "Invalid chatId", "chatId must be a GUID.");

    private static int StatusOf(RefusalKind kind) => kind switch
    {
        RefusalKind.Unauthorized => StatusCodes.Status401Unauthorized,
        RefusalKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        _ => StatusCodes.Status400BadRequest,
    };

    public static FunctionResult Problem(int status, string title, string detail) =>
        new(Results.Problem(detail: detail, statusCode: status, title: title));

    public static FunctionResult StorageUnavailable(StorageUnavailableException e) =>
        Problem(StatusCodes.Status503ServiceUnavailable, "Storage unavailable", $"{e.Message} Nothing was accepted; retry later.");

    public static FunctionResult Result(this IResult result) => new(result);
}
