using BotRouter.Core.Chats;
using BotRouter.Core.Processing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BotRouter.Functions.Http;

/// <summary>
/// The app's problem-details answers. Functions return these (and <see cref="TypedResults"/>) as they are:
/// the worker's ASP.NET Core integration executes an <see cref="IResult"/> returned by a function or set on
/// an <c>[HttpResult]</c> property.
/// </summary>
internal static class Problems
{
    /// <summary>The one place an intake outcome that is not an acceptance becomes an HTTP answer.</summary>
    public static ProblemHttpResult Of(IntakeResult result) => result switch
    {
        IntakeResult.Refused { Refusal: var r } => Problem(StatusOf(r.Kind), r.Title, r.Detail),
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, "Only refusals are problems."),
    };

    public static ProblemHttpResult InvalidChatId() => Problem(StatusCodes.Status400BadRequest, "Invalid chatId", "chatId must be a GUID.");

    private static int StatusOf(RefusalKind kind) => kind switch
    {
        RefusalKind.Unauthorized => StatusCodes.Status401Unauthorized,
        RefusalKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        _ => StatusCodes.Status400BadRequest,
    };

    public static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static ProblemHttpResult StorageUnavailable(StorageUnavailableException e) =>
        Problem(StatusCodes.Status503ServiceUnavailable, "Storage unavailable", $"{e.Message} Nothing was accepted; retry later.");
}
