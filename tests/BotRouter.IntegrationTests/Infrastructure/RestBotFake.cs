using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using BotRouter.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BotRouter.IntegrationTests.Infrastructure;

/// <summary>
/// A real HTTP fake of a vendor's REST bot (Rasa's REST channel) on a free loopback port: records every request
/// and answers what the test scripted, in order; without a script it echoes the text.
/// </summary>
public sealed class RestBotFake : IAsyncDisposable
{
    public const string Path = "/webhooks/rest/webhook";

    private readonly WebApplication app;
    private readonly ConcurrentQueue<(int Status, string Body)> script = new();

    private RestBotFake(WebApplication app, string url)
    {
        this.app = app;
        Url = url + Path;
    }

    public string Url { get; }

    /// <summary>Every request body, parsed, in arrival order (failed attempts included).</summary>
    public ConcurrentQueue<JsonNode> Requests { get; } = new();

    public static async Task<RestBotFake> StartAsync()
    {
        RestBotFake? fake = null;
        var (app, url) = await LoopbackServer.StartAsync(a => a.MapPost(Path, (Microsoft.AspNetCore.Http.HttpContext c) => fake!.HandleAsync(c)));
        fake = new RestBotFake(app, url);
        return fake;
    }

    /// <summary>The next request is answered with this status and raw body.</summary>
    public RestBotFake Answer(string body, int status = 200)
    {
        script.Enqueue((status, body));
        return this;
    }

    public RestBotFake Fail(int status, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            script.Enqueue((status, """{"error":"fault injected"}"""));
        }

        return this;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = (await JsonNode.ParseAsync(context.Request.Body))!;
        Requests.Enqueue(request);
        var (status, body) = script.TryDequeue(out var next)
            ? next
            : (200, new JsonArray(new JsonObject { ["recipient_id"] = request["sender"]!.GetValue<string>(), ["text"] = $"echo: {request["message"]}" }).ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
