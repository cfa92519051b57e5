using System.Text.Json;
using System.Text.Json.Nodes;
using BotRouter.Core.Contracts;
using BotRouter.Simulator.Contracts;
using BotRouter.Simulator.Routing;

namespace BotRouter.Simulator.Endpoints;

/// <summary>
/// The simulator's own API under <c>/simulator</c>: the customer's phone, the agent's console
/// (acting through the app's operator API), and read-outs for tests.
/// </summary>
internal static class ConsoleEndpoints
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();
    private static readonly JsonElement EmptyArray = JsonDocument.Parse("[]").RootElement.Clone();

    public static void MapConsole(this IEndpointRouteBuilder app)
    {
        var sim = app.MapGroup("/simulator");
        sim.MapPost("/customer/messages", SendFromCustomerAsync);
        sim.MapPost("/agent/messages", SendFromAgent);
        sim.MapPost("/agent/{command:regex(^(takeover|handback|reset)$)}", AgentCommandAsync);
        sim.MapGet("/agent/inbox", (RoutingTable table) => Results.Json(table.AgentInbox(), SimulatorJson.Readable.IReadOnlyListAgentInboxItem));
        sim.MapGet("/chats", (RoutingTable table) => Results.Json(table.Summaries(), SimulatorJson.Readable.IReadOnlyListChatSummary));
        sim.MapGet("/chats/{chatId}", (string chatId, RoutingTable table) =>
            table.Find(chatId) is { } chat
                ? Results.Json(chat.Detail(), SimulatorJson.Readable.ChatDetail)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown chat", detail: chatId));
        sim.MapDelete("/chats", (RoutingTable table, CallLog log, Counters counters) =>
        {
            table.Clear();
            log.Clear();
            counters.Clear();
            return Results.NoContent();
        });
        sim.MapGet("/calls", (CallLog log, string? kind, string? chatId) =>
            Results.Json(log.Snapshot(kind, chatId), SimulatorJson.Readable.IReadOnlyListCallRecord));
        sim.MapDelete("/calls", (CallLog log) =>
        {
            log.Clear();
            return Results.NoContent();
        });
        sim.MapGet("/stats", (RoutingTable table, CallLog log, Counters counters) =>
            Results.Json(counters.Snapshot(table.Count, log.Total), SimulatorJson.Readable.SimulatorStats));
        sim.MapGet("/events", StreamEventsAsync);
        sim.MapGet("/flows", async (AppClient client, CancellationToken cancellationToken) =>
        {
            var answer = await client.GetFlowsAsync(cancellationToken);
            return answer.Reached
                ? Results.Text(answer.Body ?? string.Empty, answer.ContentType ?? "application/json", statusCode: answer.Status)
                : Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "App unreachable", detail: answer.Error);
        });
    }

    /// <summary>
    /// A customer message: to the bot's webhook while the bot component is enabled, otherwise to
    /// Customer Contact only (the agent inbox), which "lies dormant until CmBot is disabled".
    /// </summary>
    private static async Task<IResult> SendFromCustomerAsync(
        HttpRequest http, RoutingTable table, Counters counters, WebhookDelivery webhook, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var request = await ReadAsync(http, SimulatorJson.Readable.CustomerMessageRequest, cancellationToken);
        if (request is null || string.IsNullOrWhiteSpace(request.Channel) || string.IsNullOrWhiteSpace(request.From) || string.IsNullOrWhiteSpace(request.Text))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid customer message", detail: "Expected {\"channel\",\"from\",\"text\"}");
        }

        var options = table.Options;
        var chat = table.Open(request.Channel, request.From, string.IsNullOrWhiteSpace(request.To) ? options.BusinessNumber : request.To);
        var reference = string.IsNullOrWhiteSpace(request.Reference) ? Guid.NewGuid().ToString() : request.Reference;
        var now = table.Now;
        var entry = chat.ReceiveFromCustomer(request.Text, reference, request.Name, now);
        var logger = loggers.CreateLogger(typeof(ConsoleEndpoints).FullName!);

        if (entry.DeliveredTo == SimChat.Nobody)
        {
            chat.Record("dropped", "customer message reached no component (bot and Customer Contact disabled)", 0, now);
            return Results.Json(new CustomerMessageResult(chat.ChatId, reference, SimChat.Nobody, null, null), SimulatorJson.Readable.CustomerMessageResult);
        }

        if (entry.DeliveredTo == SimChat.Agent)
        {
            Counters.Increment(ref counters.AgentInboxMessages);
            chat.Record("agent-inbox", "customer message routed to Customer Contact (bot disabled)", 0, now);
            Log.ToAgentInbox(logger, reference, chat.ChatId);
            return Results.Json(new CustomerMessageResult(chat.ChatId, reference, SimChat.Agent, null, null), SimulatorJson.Readable.CustomerMessageResult);
        }

        var mo = new MoMessage
        {
            From = new MoParty { Number = chat.CustomerNumber, Name = chat.CustomerName },
            To = new MoParty { Number = chat.BusinessNumber },
            Message = new MoContent { Text = request.Text, Media = new MoMedia(), Custom = EmptyObject },
            Reference = reference,
            Groupings = EmptyArray,
            TimeUtc = now,
            Channel = chat.Channel,
            ConversationalRouter = new ConversationalRouter { ChatId = chat.ChatId, AccountId = options.AccountId },
        };
        var node = JsonSerializer.SerializeToNode(mo, SimulatorJson.Readable.MoMessage)!.AsObject();
        node.Remove("messageContext"); // CM adds it only sometimes; the seed's example has none
        var moJson = node.ToJsonString(SimulatorJson.Readable.Options);

        var answer = await webhook.DeliverAsync(chat, reference, moJson, attempt: 1, cancellationToken);
        return Results.Json(
            new CustomerMessageResult(chat.ChatId, reference, SimChat.Bot, answer.Reached ? answer.Status : null, answer.Error),
            SimulatorJson.Readable.CustomerMessageResult);
    }

    /// <summary>An agent's reply in Customer Contact: shown to the customer, never sent to the app.</summary>
    private static async Task<IResult> SendFromAgent(HttpRequest http, RoutingTable table, CancellationToken cancellationToken)
    {
        var request = await ReadAsync(http, SimulatorJson.Readable.AgentMessageRequest, cancellationToken);
        if (request is null || string.IsNullOrWhiteSpace(request.Text))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid agent message", detail: "Expected {\"chatId\",\"text\"}");
        }

        if (table.Find(request.ChatId) is not { } chat)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown chat", detail: request.ChatId);
        }

        var entry = chat.SendFromAgent(request.Text, table.Now);
        return Results.Json(entry, SimulatorJson.Readable.TranscriptEntry);
    }

    /// <summary>Take over, hand back or reset through the app's operator API; answers with the app's status.</summary>
    private static async Task<IResult> AgentCommandAsync(
        string command, HttpRequest http, RoutingTable table, CallLog log, AppClient app, CancellationToken cancellationToken)
    {
        var request = await ReadAsync(http, SimulatorJson.Readable.AgentCommandRequest, cancellationToken);
        if (request is null || !Guid.TryParse(request.ChatId, out var chatGuid))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid agent command", detail: "Expected {\"chatId\"} with a GUID chatId");
        }

        var chatId = chatGuid.ToString();
        string? body = null;
        if (command == "handback" && !string.IsNullOrWhiteSpace(request.FlowId) && !string.IsNullOrWhiteSpace(request.StepId))
        {
            body = JsonSerializer.Serialize(new HandBackBody(request.FlowId, request.StepId), SimulatorJson.Readable.HandBackBody);
        }

        var answer = await app.PostOperatorAsync(chatId, command, body, cancellationToken);
        var path = $"/api/chats/{chatId}/{command}";
        log.Add("out", command, "POST", path, chatId, null, body, answer.Status, answer.Body ?? answer.Error);
        table.Find(chatId)?.Record($"agent-{command}", answer.Reached ? $"agent console asked the app to {command}" : $"agent {command} failed: {answer.Error}", answer.Status, table.Now);

        var status = answer.Reached ? answer.Status : StatusCodes.Status502BadGateway;
        return Results.Json(new AgentCommandResult(chatId, command, answer.Status, answer.Body ?? answer.Error), SimulatorJson.Readable.AgentCommandResult, statusCode: status);
    }

    /// <summary>
    /// Server-sent events for the console: <c>event: change</c> with the new version whenever a chat, the call log or
    /// the counters change (bursts coalesced), and a comment every 15 s so proxies keep the stream open.
    /// </summary>
    private static async Task StreamEventsAsync(HttpContext http, ChangeFeed feed, IHostApplicationLifetime lifetime)
    {
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var token = stop.Token;
        var seen = feed.Version;
        try
        {
            await http.Response.WriteAsync($"retry: 2000\nevent: hello\ndata: {seen}\n\n", token);
            await http.Response.Body.FlushAsync(token);
            while (!token.IsCancellationRequested)
            {
                var next = feed.NextAfterAsync(seen, token);
                var heartbeat = Task.Delay(TimeSpan.FromSeconds(15), token);
                if (await Task.WhenAny(next, heartbeat) == next)
                {
                    // Let a burst (a send, its call log entry, its counters) settle into one event.
                    await Task.Delay(TimeSpan.FromMilliseconds(30), token);
                    seen = Math.Max(await next, feed.Version);
                    await http.Response.WriteAsync($"event: change\ndata: {seen}\n\n", token);
                }
                else
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", token);
                }

                await http.Response.Body.FlushAsync(token);
            }
        }
        catch (OperationCanceledException)
        {
            // The browser went away or the simulator stops.
        }
    }

    private static async Task<T?> ReadAsync<T>(HttpRequest http, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(http.Body, type, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
