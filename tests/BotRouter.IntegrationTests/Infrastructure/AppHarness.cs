using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BotRouter.Azure;
using BotRouter.Core.Processing;
using BotRouter.Functions.Http;
using Triggers = BotRouter.Functions.Triggers;
using BotRouter.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BotRouter.IntegrationTests.Infrastructure;

/// <summary>
/// The app's services exactly as the Functions worker wires them (<c>AddBotRouter</c>), on real Azurite and a
/// real HTTP router fake. Tests call function classes and processors directly, so every step is explicit.
/// </summary>
public sealed class AppHarness : IAsyncDisposable
{
    public const string ProductToken = "7f1ed3a6-3a4b-4b5c-9d0e-token0000001";

    private AppHarness(IHost host, RouterFake router, string accountId)
    {
        Host = host;
        Router = router;
        AccountId = accountId;
    }

    public IHost Host { get; }

    public RouterFake Router { get; }

    public string AccountId { get; }

    public IServiceProvider Services => Host.Services;

    /// <param name="services">Registered before the app's own services, so it may replace what they only try to add (the clock).</param>
    public static Task<AppHarness> StartAsync(AzuriteFixture azurite, IDictionary<string, string?>? settings = null, Action<ILoggingBuilder>? logging = null, Action<IServiceCollection>? services = null) =>
        StartAsync(azurite.ConnectionString, settings, logging, services);

    public static async Task<AppHarness> StartAsync(string storage, IDictionary<string, string?>? settings = null, Action<ILoggingBuilder>? logging = null, Action<IServiceCollection>? services = null)
    {
        var router = await RouterFake.StartAsync();
        var accountId = Guid.NewGuid().ToString();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage,
            ["BotRouter:BaseUrl"] = router.BaseUrl,
            ["BotRouter:AccountId"] = accountId,
            ["BotRouter:ProductToken"] = ProductToken,
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        services?.Invoke(builder.Services);
        builder.Services.AddBotRouter(builder.Configuration);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            // A start-up the test expects to fail (a bad setting) leaves nothing listening.
            host.Dispose();
            await router.DisposeAsync();
            throw;
        }

        return new AppHarness(host, router, accountId);
    }

    public T Function<T>() => ActivatorUtilities.CreateInstance<T>(Services);

    public static string NewChatId() => Guid.NewGuid().ToString();

    /// <summary>A CM MO webhook body, shaped like the seed's example.</summary>
    public string Webhook(string chatId, string? text, string? reference = null, string from = "+31612345678", string to = "+3197010000000", string channel = "WhatsApp", string? accountId = null) =>
        new JsonObject
        {
            ["from"] = new JsonObject { ["number"] = from, ["name"] = null },
            ["to"] = new JsonObject { ["number"] = to, ["name"] = null },
            ["message"] = new JsonObject { ["text"] = text, ["media"] = new JsonObject { ["mediaUri"] = null, ["contentType"] = null, ["title"] = null }, ["custom"] = new JsonObject() },
            ["reference"] = reference ?? Guid.NewGuid().ToString(),
            ["groupings"] = new JsonArray(),
            ["timeUtc"] = DateTimeOffset.UtcNow.ToString("O"),
            ["channel"] = channel,
            ["conversationalRouter"] = new JsonObject { ["chatId"] = chatId, ["accountId"] = accountId ?? AccountId },
        }.ToJsonString();

    /// <summary>
    /// Runs a function that answers with a queue signal as the host does: the signal is written to the queue
    /// (a host output binding), then the HTTP answer is read.
    /// </summary>
    public Task<HttpAnswer> ExecuteAsync(Func<HttpRequest, Task<AcceptedWithSignal>> function, string? body = null, IDictionary<string, string>? headers = null) =>
        ExecuteAsync(
            async request =>
            {
                var answer = await function(request);
                if (answer.Signal is { } signal)
                {
                    var queue = Services.GetRequiredService<global::Azure.Storage.Queues.QueueServiceClient>().GetQueueClient(StorageNames.InboundQueue);
                    await queue.SendMessageAsync(signal);
                }

                return answer.Result;
            },
            body,
            headers);

    /// <summary>Runs a function's HTTP result against a real <see cref="DefaultHttpContext"/> and reads the answer.</summary>
    public async Task<HttpAnswer> ExecuteAsync<TResult>(Func<HttpRequest, Task<TResult>> function, string? body = null, IDictionary<string, string>? headers = null, string? query = null)
        where TResult : IResult
    {
        var context = new DefaultHttpContext { RequestServices = Services };
        if (query is not null)
        {
            context.Request.QueryString = new QueryString("?" + query);
        }

        var bytes = Encoding.UTF8.GetBytes(body ?? string.Empty);
        context.Request.Method = "POST";
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentLength = bytes.Length;
        context.Request.ContentType = "application/json";
        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[k] = v;
        }

        var output = new MemoryStream();
        context.Response.Body = output;
        try
        {
            var result = await function(context.Request);
            await result.ExecuteAsync(context);
        }
        catch (Core.Chats.StorageUnavailableException e)
        {
            // What the worker's middleware does for every route.
            await StorageOutageMiddleware.Answer(e).ExecuteAsync(context);
        }
        var text = Encoding.UTF8.GetString(output.ToArray());
        return new HttpAnswer(context.Response.StatusCode, context.Response.ContentType, text);
    }

    /// <summary>Posts a webhook body to the webhook function, expects 200, then processes the chat as the queue trigger would.</summary>
    public async Task SayAsync(string chatId, string webhookBody)
    {
        var answer = await ExecuteAsync(r => Function<Triggers.Webhook>().Run(r, CancellationToken.None), webhookBody);
        Assert.True(answer.Status == 200, answer.Body);
        await DrainAsync(chatId);
    }

    /// <summary>Calls an operator route, expects <paramref name="expected"/>, then processes the chat as the queue trigger would.</summary>
    public async Task OperateAsync(Func<Triggers.ChatOperations, HttpRequest, Task<AcceptedWithSignal>> call, string chatId, string? body = null, int expected = 202)
    {
        var answer = await ExecuteAsync(r => call(Function<Triggers.ChatOperations>(), r), body);
        Assert.Equal(expected, answer.Status);
        await DrainAsync(chatId);
    }

    /// <summary>Lets the queue-triggered processors run until the chat has nothing left to do, as the queue trigger would.</summary>
    public Task DrainAsync(string chatId) =>
        Services.GetRequiredService<ChatProcessor>().ProcessAsync(Core.Chats.ChatId.Parse(chatId), replay: false, traceParent: null, CancellationToken.None);

    /// <summary>Processes the chat's signals waiting in the inbound queue, with what they carry (e.g. a replay), as the queue trigger would.</summary>
    public async Task<int> ProcessQueuedAsync(string chatId)
    {
        var queue = Services.GetRequiredService<global::Azure.Storage.Queues.QueueServiceClient>().GetQueueClient(StorageNames.InboundQueue);
        var processed = 0;

        // The queue is shared with other tests: look through it a few times, leaving others' signals be.
        for (var round = 0; round < 20; round++)
        {
            var messages = await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30));
            var mine = 0;
            foreach (var m in messages.Value)
            {
                var signal = JsonSerializer.Deserialize(m.Body.ToString(), Core.Contracts.CoreJson.Default.QueueSignal)!;
                if (signal.ChatId != chatId)
                {
                    await queue.UpdateMessageAsync(m.MessageId, m.PopReceipt, visibilityTimeout: TimeSpan.FromSeconds(1));
                    continue;
                }

                await Services.GetRequiredService<ChatProcessor>().ProcessAsync(Core.Chats.ChatId.Parse(chatId), signal.Replay, signal.TraceParent, CancellationToken.None);
                await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
                processed++;
                mine++;
            }

            // Every signal of the chat handled, the replayed one included: a round with none of them left.
            if (processed > 0 && mine == 0)
            {
                break;
            }
        }

        return processed;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        await Router.DisposeAsync();
    }
}

public sealed record HttpAnswer(int Status, string? ContentType, string Body)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);

    public string? Problem(string field) => Json?[field]?.GetValue<string>();
}
