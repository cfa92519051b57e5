using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BotRouter.Core;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Contracts;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BotRouter.Azure;

/// <summary>
/// The Bot Router over HTTP. Transient failures (5xx, 408, 429, timeouts) are retried by the resilience
/// pipeline of the typed client and then surface as <see cref="RouterUnavailableException"/>; CM's
/// refusals (other 4xx, BM error codes) are permanent and come back as a refused outcome.
/// </summary>
public sealed partial class CmRouterClient(HttpClient http, IOptions<BotRouterOptions> options, ILogger<CmRouterClient> logger) : IRouterClient
{
    public const string ProductTokenHeader = "X-CM-PRODUCTTOKEN";
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    public async Task<RouterOutcome> SendAsync(ChatId chatId, RouterCall call, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var template = call.Kind switch
        {
            RouterCallKind.Reply => o.SendPath,
            RouterCallKind.Mutation => o.MutationPath,
            RouterCallKind.Position => o.PositionPath,
            RouterCallKind.Reset => o.ResetPath,
            _ => throw new ArgumentOutOfRangeException(nameof(call), call.Kind, null),
        };
        var path = template.Replace("{accountId}", o.AccountId, StringComparison.Ordinal).Replace("{chatId}", chatId.ToString(), StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(o.BaseUrl, path));
        request.Headers.Add(ProductTokenHeader, o.ProductToken);
        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(call.Body ?? string.Empty));
        request.Content.Headers.ContentType = Json;

        using var activity = BotRouterTelemetry.Source.StartActivity($"router {call.Kind.ToString().ToLowerInvariant()}", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("botrouter.chat_id", chatId.ToString());
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
            BotRouterTelemetry.RouterCallDuration.Record(
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                new KeyValuePair<string, object?>("kind", call.Kind.ToString().ToLowerInvariant()),
                new KeyValuePair<string, object?>("status", (int)response.StatusCode));
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or Polly.ExecutionRejectedException
                                      || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new RouterUnavailableException($"The Bot Router could not be reached for {call.Kind} {call.Id}: {e.Message}", e);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
            {
                throw new RouterUnavailableException($"The Bot Router answered {status} for {call.Kind} {call.Id}.");
            }

            if (!response.IsSuccessStatusCode)
            {
                return new RouterOutcome(false, status, Describe(text));
            }

            if (call.Kind == RouterCallKind.Reply && Refused(text) is { } refusal)
            {
                return new RouterOutcome(false, status, refusal);
            }

            LogCall(call.Kind, path, status);
            return RouterOutcome.Ok(status);
        }
    }

    /// <summary>BM answers 200 with a non-zero errorCode when a message was not accepted.</summary>
    private static string? Refused(string text)
    {
        var answer = TryParse(text);
        if (answer is null || answer.ErrorCode == 0)
        {
            return null;
        }

        var rejected = answer.Messages?.FirstOrDefault(m => !string.Equals(m.Status, "Accepted", StringComparison.OrdinalIgnoreCase));
        return $"BM errorCode {answer.ErrorCode}: {rejected?.MessageDetails ?? answer.Details}";
    }

    private static string Describe(string text) =>
        TryParse(text) is { } answer ? $"errorCode {answer.ErrorCode}: {answer.Details}" : Trim(text);

    private static BmSendResponse? TryParse(string text)
    {
        try
        {
            return text.Length == 0 ? null : JsonSerializer.Deserialize(text, CoreJson.Default.BmSendResponse);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Trim(string text) => text.Length <= 200 ? text : text[..200];

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Bot Router {Kind} to {Path} answered {Status}")]
    private partial void LogCall(RouterCallKind kind, string path, int status);
}
