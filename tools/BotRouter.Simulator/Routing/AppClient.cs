using System.Net.Http.Headers;
using System.Text;

namespace BotRouter.Simulator.Routing;

/// <summary>What the bot app answered; <see cref="Status"/> is 0 when it could not be reached.</summary>
internal sealed record AppAnswer(int Status, string? Body, string? ContentType, string? Error)
{
    public bool Reached => Status != 0;
}

/// <summary>The simulator's calls to the bot app: MO webhooks (as CM) and the operator API (as the agent console).</summary>
internal sealed class AppClient(HttpClient http, SimulatorOptions options, ILogger<AppClient> logger)
{
    public const string WebhookSecretHeader = "X-Webhook-Secret";

    public Task<AppAnswer> PostWebhookAsync(string moJson, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/webhook") { Content = Json(moJson) };
        if (!string.IsNullOrEmpty(options.WebhookSecret))
        {
            request.Headers.Add(WebhookSecretHeader, options.WebhookSecret);
        }

        return SendAsync(request, cancellationToken);
    }

    public Task<AppAnswer> PostOperatorAsync(string chatId, string command, string? json, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"api/chats/{Uri.EscapeDataString(chatId)}/{command}");
        if (json is not null)
        {
            request.Content = Json(json);
        }

        return SendAsync(request, cancellationToken);
    }

    /// <summary>A delivery status report, as CM posts it to the URL configured for the account.</summary>
    public Task<AppAnswer> PostStatusAsync(string reportJson, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, "api/status") { Content = Json(reportJson) }, cancellationToken);

    public Task<AppAnswer> GetFlowsAsync(CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, "api/flows"), cancellationToken);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    private async Task<AppAnswer> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                return new AppAnswer((int)response.StatusCode, body, response.Content.Headers.ContentType?.ToString(), null);
            }
            catch (HttpRequestException ex)
            {
                Log.AppUnreachable(logger, request.Method.Method, request.RequestUri?.ToString(), ex.Message);
                return new AppAnswer(0, null, null, $"app unreachable: {ex.Message}");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Log.AppUnreachable(logger, request.Method.Method, request.RequestUri?.ToString(), "timed out");
                return new AppAnswer(0, null, null, "app timed out");
            }
        }
    }
}
