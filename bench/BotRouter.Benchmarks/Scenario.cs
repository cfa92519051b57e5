using System.Diagnostics;
using System.Globalization;
using System.Text;
using BotRouter.Testing;

namespace BotRouter.Benchmarks;

/// <summary>Posts CM-shaped webhooks to the app. Every chat gets its own customer number, so a reply (which names the number, not the chat) is matched to its chat.</summary>
public sealed class Scenario(HttpClient http, string appBaseUrl, string accountId, RouterFake router)
{
    private static long numbers = 31_600_000_000;

    private readonly Uri webhook = new(appBaseUrl + "/api/webhook");

    public sealed record Chat(string ChatId, string Number);

    public static Chat NewChat() => new(Guid.NewGuid().ToString(), "+" + Interlocked.Increment(ref numbers).ToString(CultureInfo.InvariantCulture));

    public static string WebhookBody(string chatId, string accountId, string from, string text, string reference) =>
        string.Concat(
        [
            "{\"from\":{\"number\":\"", from, "\",\"name\":null},\"to\":{\"number\":\"+3197010000000\",\"name\":null},\"message\":{\"text\":\"", text,
            "\",\"media\":{\"mediaUri\":null,\"contentType\":null,\"title\":null},\"custom\":{}},\"reference\":\"", reference,
            "\",\"groupings\":[],\"timeUtc\":\"", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            "\",\"channel\":\"WhatsApp\",\"conversationalRouter\":{\"chatId\":\"", chatId, "\",\"accountId\":\"", accountId, "\"}}",
        ]);

    /// <summary>Posts one message; true on 200.</summary>
    public async Task<bool> PostAsync(Chat chat, string text)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(WebhookBody(chat.ChatId, accountId, chat.Number, text, Guid.NewGuid().ToString())));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(webhook, content);
        return response.StatusCode == System.Net.HttpStatusCode.OK;
    }

    /// <summary>Posts and waits for the first reply to that chat's number (fresh chats only); the latency is post start → reply seen by the fake.</summary>
    public async Task<double> RoundTripAsync(Chat chat, string text, TimeSpan timeout) => (await RoundTripTimedAsync(chat, text, timeout)).Reply;

    /// <summary>As <see cref="RoundTripAsync"/>, with the time to the webhook's 200 as well (ms from post start).</summary>
    public async Task<(double Ack, double Reply)> RoundTripTimedAsync(Chat chat, string text, TimeSpan timeout)
    {
        var reply = router.ReplyTo(chat.Number);
        var start = Stopwatch.GetTimestamp();
        if (!await PostAsync(chat, text))
        {
            throw new HttpRequestException("webhook refused");
        }

        var ack = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var at = await reply.WaitAsync(timeout);
        return (ack, Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
    }

    public async Task<double> HandOverAsync(Chat chat, TimeSpan timeout)
    {
        var mutation = router.MutationFor(chat.ChatId);
        var start = Stopwatch.GetTimestamp();
        if (!await PostAsync(chat, "agent"))
        {
            throw new HttpRequestException("webhook refused");
        }

        var at = await mutation.WaitAsync(timeout);
        return Stopwatch.GetElapsedTime(start, at).TotalMilliseconds;
    }
}
