using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using BotRouter.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BotRouter.IntegrationTests.Infrastructure;

/// <summary>One chat completions request the app made.</summary>
public sealed record CompletionRequest(string? Authorization, JsonNode Body)
{
    /// <summary>The messages' roles and texts, e.g. <c>user: hello</c>.</summary>
    public IReadOnlyList<string> Messages => Body["messages"]!.AsArray()
        .Select(m => $"{m!["role"]!.GetValue<string>()}: {Content(m["content"])}").ToList();

    private static string Content(JsonNode? content) => content switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>())),
        _ => string.Empty,
    };
}

/// <summary>
/// A real HTTP fake of an OpenAI-compatible server (<c>POST /v1/chat/completions</c>, non-streaming) on a free
/// loopback port: records every request and answers what the test scripted, in order; without a script it
/// answers "You said: &lt;last user text&gt;".
/// </summary>
public sealed class OpenAiFake : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<Func<CompletionRequest, (int Status, JsonNode Body)>> script = new();

    private OpenAiFake(WebApplication app, string url)
    {
        this.app = app;
        Endpoint = url + "/v1";
    }

    public string Endpoint { get; }

    public ConcurrentQueue<CompletionRequest> Requests { get; } = new();

    public static async Task<OpenAiFake> StartAsync()
    {
        OpenAiFake? fake = null;
        var (app, url) = await LoopbackServer.StartAsync(a => a.MapPost("/v1/chat/completions", (Microsoft.AspNetCore.Http.HttpContext c) => fake!.HandleAsync(c)));
        fake = new OpenAiFake(app, url);
        return fake;
    }

    public OpenAiFake Says(string text)
    {
        script.Enqueue(r => (200, Completion(r, new JsonObject { ["role"] = "assistant", ["content"] = text }, "stop")));
        return this;
    }

    /// <summary>The model calls a tool, optionally with a text next to it.</summary>
    public OpenAiFake CallsTool(string name, JsonObject arguments, string? text = null)
    {
        script.Enqueue(r => (200, Completion(r, new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = text,
            ["tool_calls"] = new JsonArray(new JsonObject
            {
                ["id"] = "call_1",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments.ToJsonString() },
            }),
        }, "tool_calls")));
        return this;
    }

    public OpenAiFake Fails(int status, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            script.Enqueue(_ => (status, new JsonObject { ["error"] = new JsonObject { ["message"] = "fault injected", ["type"] = "server_error" } }));
        }

        return this;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = new CompletionRequest(context.Request.Headers.Authorization.FirstOrDefault(), (await JsonNode.ParseAsync(context.Request.Body))!);
        Requests.Enqueue(request);
        var (status, body) = script.TryDequeue(out var next)
            ? next(request)
            : (200, Completion(request, new JsonObject { ["role"] = "assistant", ["content"] = $"You said: {request.Messages[^1]["user: ".Length..]}" }, "stop"));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    private static JsonObject Completion(CompletionRequest request, JsonObject message, string finish) => new()
    {
        ["id"] = $"chatcmpl-{Guid.NewGuid():N}",
        ["object"] = "chat.completion",
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["model"] = request.Body["model"]!.GetValue<string>(),
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 },
    };

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
