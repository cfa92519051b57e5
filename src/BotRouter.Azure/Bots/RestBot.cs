using System.Net;
using System.Text;
using System.Text.Json;
using BotRouter.Core.Bots;
using BotRouter.Core.Configuration;
using BotRouter.Core.Flows;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BotRouter.Azure.Bots;

/// <summary>
/// A bot behind the REST channel protocol that Rasa made common: per event one POST of
/// <c>{"sender","message","metadata"}</c>, answered with an array of <c>text</c> / <c>buttons</c> / <c>image</c> /
/// <c>custom</c> items. The bot keeps its own state (by sender), so the chat keeps none for it.
/// </summary>
public sealed partial class RestBot(HttpClient http, IOptions<BotOptions> options, ILogger<RestBot> logger) : IBot
{
    public FlowSet? Flows => null;

    public async Task<BotAnswer> AnswerAsync(BotInput input, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var request = new RestBotRequest(input.ChatId, input.Message.Text ?? string.Empty, new RestBotMetadata(
            EventName(input.Event),
            input.Channel,
            input.CustomerNumber,
            input.Reference,
            input.TimeUtc,
            input.Message.Media is { } m ? new RestBotMedia(m.Uri, m.ContentType, m.Title) : null,
            input.Message.Custom is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } custom ? custom : null,
            input.Position?.FlowId,
            input.Position?.StepId,
            input.NewSession ? true : null));
        using var content = new StringContent(JsonSerializer.Serialize(request, BotJson.Relaxed.RestBotRequest), Encoding.UTF8, "application/json");

        string text;
        int status;
        try
        {
            using var response = await http.PostAsync(o.Url, content, cancellationToken);
            status = (int)response.StatusCode;
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or Polly.ExecutionRejectedException
                                      || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new BotUnavailableException($"The REST bot could not be reached for chat {input.ChatId}: {e.Message}", e);
        }

        if (status >= 500 || status is (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests)
        {
            throw new BotUnavailableException($"The REST bot answered {status} for chat {input.ChatId}.");
        }

        if (status is < 200 or > 299)
        {
            LogMalformed(input.ChatId, $"status {status}");
            return new BotAnswer([BotReply.Of(o.Fallback)]);
        }

        var (answer, problem) = RestBotAnswer.Parse(text);
        if (answer is null)
        {
            LogMalformed(input.ChatId, problem!);
            return new BotAnswer([BotReply.Of(o.Fallback)]);
        }

        LogAnswered(input.ChatId, answer.Replies.Count, answer.HandOver is not null);
        return answer;
    }

    internal static string EventName(BotEvent kind) => kind switch
    {
        BotEvent.Message => "message",
        BotEvent.HandBack => "handback",
        BotEvent.Reset => "reset",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Chat {ChatId}: the REST bot's answer is malformed ({Reason}); the customer gets the fallback text")]
    private partial void LogMalformed(string chatId, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Chat {ChatId}: the REST bot answered {Replies} replies, hand-over {HandOver}")]
    private partial void LogAnswered(string chatId, int replies, bool handOver);
}
