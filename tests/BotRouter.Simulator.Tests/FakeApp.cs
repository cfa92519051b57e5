using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BotRouter.Simulator.Tests;

/// <summary>A stand-in for the bot app: records what reaches its webhook and operator API.</summary>
public sealed class FakeApp : IAsyncDisposable
{
    private readonly WebApplication app;

    private FakeApp(WebApplication app) => this.app = app;

    public ConcurrentQueue<ReceivedRequest> Webhooks { get; } = new();
    public ConcurrentQueue<ReceivedRequest> OperatorCalls { get; } = new();
    public ConcurrentQueue<ReceivedRequest> StatusReports { get; } = new();

    /// <summary>Statuses <c>/api/status</c> answers next, one per post; 200 once empty.</summary>
    public ConcurrentQueue<int> StatusAnswers { get; } = new();

    /// <summary>Statuses the webhook answers next, one per post; 200 once empty.</summary>
    public ConcurrentQueue<int> WebhookAnswers { get; } = new();
    public Uri BaseUrl => new(app.Urls.First());

    public static async Task<FakeApp> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var fake = new FakeApp(builder.Build());
        fake.app.MapPost("/api/webhook", async (HttpRequest request) =>
        {
            fake.Webhooks.Enqueue(await ReceivedRequest.ReadAsync(request));
            return Results.StatusCode(fake.WebhookAnswers.TryDequeue(out var status) ? status : StatusCodes.Status200OK);
        });
        fake.app.MapPost("/api/status", async (HttpRequest request) =>
        {
            fake.StatusReports.Enqueue(await ReceivedRequest.ReadAsync(request));
            return Results.StatusCode(fake.StatusAnswers.TryDequeue(out var status) ? status : StatusCodes.Status200OK);
        });
        fake.app.MapPost("/api/chats/{chatId}/{command}", async (HttpRequest request) =>
        {
            fake.OperatorCalls.Enqueue(await ReceivedRequest.ReadAsync(request));
            return Results.Accepted();
        });
        fake.app.MapGet("/api/flows", () => Results.Text("""{"flows":[{"id":"main","steps":[{"id":"start"}]}]}""", "application/json"));
        await fake.app.StartAsync(cancellationToken);
        return fake;
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}

public sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public static async Task<ReceivedRequest> ReadAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        return new ReceivedRequest(
            request.Path,
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body);
    }
}
