using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BotRouter.Core.Contracts;
using BotRouter.Simulator.Contracts;
using BotRouter.Simulator.Routing;

namespace BotRouter.Simulator.Endpoints;

/// <summary>
/// CM.com's Bot Router as the app sees it: BMProxy sends and the control API (mutations, positions, resets).
/// Every call is checked like CM would (product token, account, JSON shape), applied to the chat,
/// and recorded with its exact bodies in the chat's timeline and the global call log.
/// </summary>
internal static class RouterEndpoints
{
    public const string ProductTokenHeader = "X-CM-PRODUCTTOKEN";
    private const int MaxBodyBytes = 1024 * 1024;

    public static void MapBotRouter(this IEndpointRouteBuilder app)
    {
        app.MapPost("/conversational/bmproxy/v1/accounts/{accountId}", (HttpContext http, string accountId) =>
            HandleAsync(http, accountId, "send", requiresJson: true, Send, tokenInBody: true));

        app.MapPost("/conversational/control/v1/accounts/{accountId}/sessions/mutationrequests", (HttpContext http, string accountId) =>
            HandleAsync(http, accountId, "mutation", requiresJson: true, (ctx, body) => Mutate(ctx, body, routeChatId: null)));

        // The later "Router and Scripted Bot" API names the chat in the URL; accepted as well.
        app.MapPost("/conversational/control/v1/accounts/{accountId}/chats/{chatId}/routing/mutationrequests", (HttpContext http, string accountId, string chatId) =>
            HandleAsync(http, accountId, "mutation", requiresJson: true, (ctx, body) => Mutate(ctx, body, chatId)));

        app.MapPost("/conversational/control/v1/accounts/{accountId}/sessions/positionrequests", (HttpContext http, string accountId) =>
            HandleAsync(http, accountId, "position", requiresJson: true, Position));

        app.MapPost("/conversational/control/v1/accounts/{accountId}/sessions/{chatId}/reset", (HttpContext http, string accountId, string chatId) =>
            HandleAsync(http, accountId, "reset", requiresJson: false, (ctx, _) => Reset(ctx, chatId)));
    }

    /// <summary>The outcome of one CM call: status, the exact JSON answered, the chat it concerned, a one-line summary.</summary>
    /// <param name="InTimeline">True when the handler already wrote the chats' timelines (a send can reach several chats).</param>
    private sealed record Answer(int Status, BmSendResponse Body, SimChat? Chat, string Summary, bool InTimeline = false);

    private sealed record RouterContext(RoutingTable Table, Counters Counters, SimulatorOptions Options, StatusReports Reports);

    /// <param name="tokenInBody">
    /// True for BMProxy: CM's own SDKs send the token as <c>messages.authentication.producttoken</c> (any casing)
    /// instead of the header, and CM accepts both.
    /// </param>
    private static async Task<IResult> HandleAsync(
        HttpContext http, string accountId, string kind, bool requiresJson, Func<RouterContext, string?, Answer> apply, bool tokenInBody = false)
    {
        var services = http.RequestServices;
        var table = services.GetRequiredService<RoutingTable>();
        var counters = services.GetRequiredService<Counters>();
        var log = services.GetRequiredService<CallLog>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RouterEndpoints).FullName!);
        var options = table.Options;

        var body = await ReadBodyAsync(http.Request, http.RequestAborted);
        var bodyToken = tokenInBody && !string.IsNullOrEmpty(body) ? BodyProductToken(body) : null;
        var tokenValid = ProductTokenValid(http.Request.Headers[ProductTokenHeader].ToString(), bodyToken, options.ProductToken);

        Answer answer;
        if (body is null)
        {
            answer = Fail(StatusCodes.Status413PayloadTooLarge, 202, "Request body larger than 1 MiB");
        }
        else if (!tokenValid)
        {
            Counters.Increment(ref counters.AuthenticationFailures);
            answer = Fail(StatusCodes.Status400BadRequest, 101, "Authentication failed");
        }
        else if (!AccountMatches(accountId, options.AccountId))
        {
            answer = Fail(StatusCodes.Status404NotFound, 404, "Unknown BotRouterAccountId");
        }
        else if (requiresJson && !IsJson(http.Request.ContentType))
        {
            answer = Fail(StatusCodes.Status400BadRequest, 202, "Content-Type must be application/json");
        }
        else
        {
            answer = apply(new RouterContext(table, counters, options, services.GetRequiredService<StatusReports>()), body.Length == 0 ? null : body);
        }

        var responseJson = JsonSerializer.Serialize(answer.Body, SimulatorJson.Readable.BmSendResponse);
        log.Add("in", kind, http.Request.Method, http.Request.Path, answer.Chat?.ChatId, tokenValid, WithoutToken(body, bodyToken), answer.Status, responseJson);
        if (!answer.InTimeline)
        {
            answer.Chat?.Record(kind, answer.Summary, answer.Status, table.Now);
        }

        Log.RouterCall(logger, kind, answer.Chat?.ChatId, answer.Status);
        return Results.Text(responseJson, "application/json", Encoding.UTF8, answer.Status);
    }

    private static Answer Send(RouterContext ctx, string? body)
    {
        if (body is null || JsonFields.Parse(body) is not JsonObject root
            || root.Field("messages") is not JsonObject messages || messages.Field("msg") is not JsonArray msgs || msgs.Count == 0)
        {
            return Fail(StatusCodes.Status400BadRequest, 202, "Invalid or missing JSON: expected {\"messages\":{\"msg\":[...]}}");
        }

        if (msgs.Count > 1000)
        {
            return Fail(StatusCodes.Status400BadRequest, 203, "Too many messages (max 1000)");
        }

        // A malformed message rejects the whole request: nothing is delivered, every problem is listed.
        var problems = msgs.Select(m => ValidateMessage(m, ctx.Table)).Where(p => p is not null).Select(p => p!).ToList();
        if (problems.Count > 0)
        {
            return new Answer(StatusCodes.Status400BadRequest, new BmSendResponse
            {
                Details = "Request contains errors in its messages; no message was sent",
                ErrorCode = 201,
                Messages = problems,
            }, null, string.Join("; ", problems.Select(p => $"{p.MessageErrorCode} {p.MessageDetails}")));
        }

        var results = new List<BmSendResult>();
        SimChat? lastChat = null;
        var summaries = new List<string>();
        foreach (var message in msgs.Select(m => OutgoingMessage.Read((JsonObject)m!)))
        {
            foreach (var recipient in message.To)
            {
                var chat = ChatOf(ctx, message, recipient);
                lastChat = chat;
                Counters.Increment(ref ctx.Counters.BotSends);
                if (chat.TrySendFromBot(message.Text, message.Reference, message.Suggestions, ctx.Table.Now, message.Media))
                {
                    Counters.Increment(ref ctx.Counters.AcceptedBotSends);
                    results.Add(new BmSendResult { To = recipient, Status = "Accepted", Reference = message.Reference, Parts = 1, MessageErrorCode = 0 });
                    summaries.Add($"bot reply {message.Reference ?? "(no reference)"} accepted \"{Shorten(message.Text)}\"");
                    chat.Record("send", summaries[^1], StatusCodes.Status200OK, ctx.Table.Now);
                    ctx.Reports.Accepted(chat, recipient, message.Reference);
                }
                else
                {
                    Counters.Increment(ref ctx.Counters.RejectedBotSends);
                    results.Add(new BmSendResult
                    {
                        To = recipient,
                        Status = "Rejected",
                        Reference = message.Reference,
                        Parts = 0,
                        MessageDetails = $"Component {ctx.Options.BotComponentId} is disabled for chat {chat.ChatId}; the bot may not reply",
                        MessageErrorCode = 401,
                    });
                    summaries.Add($"bot reply REJECTED (bot disabled) \"{Shorten(message.Text)}\"");
                    chat.Record("send", summaries[^1], StatusCodes.Status200OK, ctx.Table.Now);
                }
            }
        }

        var rejected = results.Count(r => r.Status == "Rejected");
        var response = rejected == 0
            ? new BmSendResponse { Details = $"Created {results.Count} message(s)", ErrorCode = 0, Messages = results }
            : new BmSendResponse { Details = $"{rejected} of {results.Count} message(s) rejected", ErrorCode = 201, Messages = results };
        return new Answer(StatusCodes.Status200OK, response, lastChat, string.Join("; ", summaries), InTimeline: true);
    }

    /// <summary>
    /// A mutation request in either body format CM documents: the seed's <c>component</c> format
    /// (<c>{"$type":"disableComponent"|"enableComponent","ComponentId"}</c>) or the <c>rule</c> format of CM's current
    /// routing-control docs (<c>{"$type":"ruleMutation","action":"Disable"|"Enable","operator","targetAdapterId"}</c>).
    /// Both change the routing the same way; keys are read in any casing, like CM's deserializer.
    /// </summary>
    private static Answer Mutate(RouterContext ctx, string? body, string? routeChatId)
    {
        if (body is null || JsonFields.Parse(body) is not JsonObject root)
        {
            return Fail(StatusCodes.Status400BadRequest, 202, "Invalid or missing JSON: expected {\"ChatId\",\"Mutations\":[...]}");
        }

        // On the chats/{chatId}/routing URL the body may omit ChatId; when it names one, it must be the URL's chat.
        var bodyChatId = root.Field("ChatId") is { } node ? JsonFields.StringOf(node) ?? node.ToJsonString() : null;
        if (routeChatId is not null && bodyChatId is not null && !SameChatId(bodyChatId, routeChatId))
        {
            return Fail(StatusCodes.Status400BadRequest, 400, "ChatId in the body differs from the chatId in the URL");
        }

        var chatId = routeChatId ?? bodyChatId;
        if (!Guid.TryParse(chatId, out _))
        {
            return Fail(StatusCodes.Status400BadRequest, 400, "ChatId must be a GUID");
        }

        if (root.Field("Mutations") is not JsonArray { Count: > 0 } items)
        {
            return Fail(StatusCodes.Status400BadRequest, 400, "Mutations must contain at least one mutation");
        }

        var mutations = new List<Mutation>();
        var formats = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var (mutation, format, error) = ReadMutation(item as JsonObject, ctx.Options);
            if (mutation is null)
            {
                return Fail(StatusCodes.Status400BadRequest, 400, error!);
            }

            mutations.Add(mutation);
            formats.Add(format!);
        }

        var (context, contextError) = ReadContext(root.Field("Context"));
        if (contextError is not null)
        {
            return Fail(StatusCodes.Status400BadRequest, 400, contextError);
        }

        if (ctx.Table.Find(chatId) is not { } chat)
        {
            return Fail(StatusCodes.Status404NotFound, 404, $"Unknown chat {chatId}");
        }

        Counters.Increment(ref ctx.Counters.Mutations);
        var states = chat.Mutate(mutations, context, ctx.Table.Now);
        var team = context is { Count: > 0 } c ? $" with context {string.Join(", ", c.Select(kv => $"{kv.Key}={kv.Value}"))}" : string.Empty;
        var summary = $"{string.Join(", ", mutations.Select(m => $"{m.Type} {m.ComponentId}"))}{team} ({string.Join("+", formats)} format) -> mode {states.Mode}";
        return new Answer(StatusCodes.Status200OK, Ok($"Mutations applied; mode {states.Mode}"), chat, summary);
    }

    /// <summary>One mutation of either format, normalised to the seed's enable/disable of a component.</summary>
    private static (Mutation? Mutation, string? Format, string? Error) ReadMutation(JsonObject? item, SimulatorOptions options)
    {
        var type = item.Text("$type");
        string? action;
        string? component;
        string format;
        if (string.Equals(type, Mutation.Disable, StringComparison.OrdinalIgnoreCase) || string.Equals(type, Mutation.Enable, StringComparison.OrdinalIgnoreCase))
        {
            format = "component";
            action = string.Equals(type, Mutation.Enable, StringComparison.OrdinalIgnoreCase) ? Mutation.Enable : Mutation.Disable;
            component = item.Text("ComponentId");
        }
        else if (string.Equals(type, "ruleMutation", StringComparison.OrdinalIgnoreCase))
        {
            format = "rule";
            action = item.Text("action") switch
            {
                { } a when a.Equals("Enable", StringComparison.OrdinalIgnoreCase) => Mutation.Enable,
                { } a when a.Equals("Disable", StringComparison.OrdinalIgnoreCase) => Mutation.Disable,
                _ => null,
            };
            if (action is null)
            {
                return (null, null, "ruleMutation: action must be Enable or Disable");
            }

            // CM documents And/Or; with two components the operator changes nothing here, but a wrong one is a wrong body.
            if (item.Field("operator") is { } op && JsonFields.StringOf(op) is not ("And" or "Or" or "and" or "or"))
            {
                return (null, null, "ruleMutation: operator must be And or Or");
            }

            // sourceAdapterId narrows a rule to traffic from one adapter; the simulator has one route, so it is accepted and ignored.
            component = item.Text("targetAdapterId");
        }
        else
        {
            return (null, null, $"$type must be {Mutation.Disable}, {Mutation.Enable} or ruleMutation");
        }

        if (!string.Equals(component, options.BotComponentId, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(component, options.AgentComponentId, StringComparison.OrdinalIgnoreCase))
        {
            var field = format == "rule" ? "targetAdapterId" : "ComponentId";
            return (null, null, $"Unknown {field} '{component}'");
        }

        return (new Mutation { Type = action, ComponentId = component! }, format, null);
    }

    /// <summary>The routing context: key-value pairs; numbers and booleans are taken as their text, objects are refused.</summary>
    private static (Dictionary<string, string>? Context, string? Error) ReadContext(JsonNode? node)
    {
        if (node is null)
        {
            return (null, null);
        }

        if (node is not JsonObject obj)
        {
            return (null, "Context must be an object of key-value pairs");
        }

        var context = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            if (value is not JsonValue scalar)
            {
                return (null, $"Context value '{key}' must be a string");
            }

            context[key] = JsonFields.StringOf(scalar) ?? scalar.ToJsonString();
        }

        return (context, null);
    }

    private static Answer Position(RouterContext ctx, string? body)
    {
        PositionRequest? request = null;
        try
        {
            request = body is null ? null : JsonSerializer.Deserialize(body, CoreJson.Default.PositionRequest);
        }
        catch (JsonException)
        {
            // answered below as invalid JSON
        }

        if (request is null || string.IsNullOrWhiteSpace(request.FlowId) || string.IsNullOrWhiteSpace(request.StepId))
        {
            return Fail(StatusCodes.Status400BadRequest, 202, "Invalid position request: expected {\"ChatId\",\"FlowId\",\"StepId\"}");
        }

        if (!Guid.TryParse(request.ChatId, out _))
        {
            return Fail(StatusCodes.Status400BadRequest, 400, "ChatId must be a GUID");
        }

        if (ctx.Table.Find(request.ChatId) is not { } chat)
        {
            return Fail(StatusCodes.Status404NotFound, 404, $"Unknown chat {request.ChatId}");
        }

        if (!chat.TryPosition(request.FlowId, request.StepId, ctx.Table.Now))
        {
            Counters.Increment(ref ctx.Counters.RefusedPositions);
            return new Answer(
                StatusCodes.Status409Conflict,
                Error(409, $"Component {ctx.Options.BotComponentId} is disabled for this chat; enable it before a position request"),
                chat,
                $"position {request.FlowId}/{request.StepId} REFUSED (bot disabled)");
        }

        Counters.Increment(ref ctx.Counters.Positions);
        return new Answer(StatusCodes.Status200OK, Ok($"Positioned at {request.FlowId}/{request.StepId}"), chat, $"position {request.FlowId}/{request.StepId}");
    }

    private static Answer Reset(RouterContext ctx, string chatId)
    {
        if (!Guid.TryParse(chatId, out _))
        {
            return Fail(StatusCodes.Status400BadRequest, 400, "chatId must be a GUID");
        }

        if (ctx.Table.Find(chatId) is not { } chat)
        {
            return Fail(StatusCodes.Status404NotFound, 404, $"Unknown chat {chatId}");
        }

        Counters.Increment(ref ctx.Counters.Resets);
        var states = chat.Reset(ctx.Table.Now);
        return new Answer(StatusCodes.Status200OK, Ok("Routing reset to defaults"), chat, $"reset -> mode {states.Mode}");
    }

    /// <summary>CM's per-message checks, as message error codes (the simulator's mapping of 301-304).</summary>
    private static BmSendResult? ValidateMessage(JsonNode? node, RoutingTable table)
    {
        if (node is not JsonObject msg)
        {
            return Problem(null, null, 202, "Message is not a JSON object");
        }

        var reference = msg.Text("reference");
        var to = msg.Field("to") as JsonArray;
        var firstNumber = to is { Count: > 0 } && to[0] is JsonObject r ? r.Text("number") : null;
        if (to is not { Count: > 0 } || to.Any(t => t is not JsonObject o || string.IsNullOrWhiteSpace(o.Text("number"))))
        {
            return Problem(firstNumber, reference, 301, "Message has no or an empty 'to' (recipient number)");
        }

        // Social channels address customers by a channel id rather than a phone number: known ids pass too.
        var badNumber = to.Select(t => ((JsonObject)t!).Text("number")!).FirstOrDefault(n => !LooksLikeNumber(n) && !table.KnowsCustomer(n));
        if (badNumber is not null)
        {
            return Problem(badNumber, reference, 302, $"Invalid recipient '{badNumber}' (expected +<digits>, 00<digits> or the id of a known customer)");
        }

        if (string.IsNullOrWhiteSpace(msg.Text("from")))
        {
            return Problem(firstNumber, reference, 303, "Message has no 'from' (sender)");
        }

        var bodyObject = msg.Field("body") as JsonObject;
        var hasContent = !string.IsNullOrEmpty(bodyObject.Text("content"));
        var hasRich = msg.Field("richContent") is JsonObject;
        if (bodyObject is null || (!hasContent && !hasRich))
        {
            return Problem(firstNumber, reference, 304, "Message has no body content (body.content or richContent)");
        }

        if (msg.Field("allowedChannels") is { } channels && (channels is not JsonArray list || list.Any(c => string.IsNullOrWhiteSpace(JsonFields.StringOf(c)))))
        {
            return Problem(firstNumber, reference, 304, "allowedChannels must be an array of channel names");
        }

        // No 'reference' is fine: CM documents it as optional (CM's SDKs leave it out unless given); such a reply gets no status report.
        return null;
    }

    private static SimChat ChatOf(RouterContext ctx, OutgoingMessage message, string recipient)
    {
        if (message.Channel is { } channel)
        {
            return ctx.Table.Open(channel, recipient, message.From);
        }

        // Without a channel, Business Messaging picks one; the simulator picks the chat the customer last used (else SMS).
        return ctx.Table.FindByParties(recipient, message.From) ?? ctx.Table.Open("SMS", recipient, message.From);
    }

    private static async Task<string?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(cancellationToken);
        return Encoding.UTF8.GetByteCount(body) > MaxBodyBytes ? null : body;
    }

    /// <summary>
    /// <c>messages.authentication.productToken</c> in any casing of each key, as CM's SDKs send it; null when the
    /// body carries none. A non-string value counts as a (wrong) token.
    /// </summary>
    private static string? BodyProductToken(string body)
    {
        var authentication = (JsonFields.Parse(body) as JsonObject).Field("messages") is JsonObject messages
            ? messages.Field("authentication") as JsonObject
            : null;
        return authentication.Field("producttoken") is { } token ? JsonFields.StringOf(token) ?? token.ToJsonString() : null;
    }

    /// <summary>
    /// At least one token (header or body) and every token presented must be the expected one: a request whose
    /// header and body disagree is refused rather than guessed at. No expected token configured: any non-empty token passes.
    /// </summary>
    private static bool ProductTokenValid(string header, string? body, string expected)
    {
        var presented = new List<string>(2);
        if (!string.IsNullOrWhiteSpace(header))
        {
            presented.Add(header.Trim());
        }

        if (body is not null)
        {
            presented.Add(body.Trim());
        }

        return presented.Count > 0 && presented.All(token => token.Length > 0
            && (string.IsNullOrEmpty(expected) || CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(expected))));
    }

    /// <summary>The request body for the call log, with a body product token masked: the log never holds a token.</summary>
    private static string? WithoutToken(string? body, string? token)
    {
        if (body is null || string.IsNullOrEmpty(token))
        {
            return body;
        }

        var literal = JsonSerializer.Serialize(token, SimulatorJson.Readable.String);
        if (body.Contains(literal, StringComparison.Ordinal))
        {
            return body.Replace(literal, "\"***\"", StringComparison.Ordinal);
        }

        // The token was escaped differently in the body: rewrite the one field instead.
        var root = JsonFields.Parse(body) as JsonObject;
        if (root.Field("messages") is JsonObject messages && messages.Field("authentication") is JsonObject authentication)
        {
            foreach (var key in authentication.Select(kv => kv.Key).Where(k => k.Equals("producttoken", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                authentication[key] = "***";
            }

            return root!.ToJsonString(SimulatorJson.Readable.Options);
        }

        return "(body withheld: it holds a product token)";
    }

    private static bool AccountMatches(string accountId, string expected) =>
        Guid.TryParse(accountId, out var given) && Guid.TryParse(expected, out var known) && given == known;

    private static bool SameChatId(string? a, string? b) =>
        Guid.TryParse(a, out var x) && Guid.TryParse(b, out var y) && x == y;

    private static bool IsJson(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().EndsWith("json", StringComparison.OrdinalIgnoreCase);

    private static bool LooksLikeNumber(string number)
    {
        var n = PhoneNumbers.Normalize(number);
        return n.Length > 4 && n[0] == '+' && n.Skip(1).All(char.IsAsciiDigit);
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");

    private static BmSendResult Problem(string? to, string? reference, int code, string details) =>
        new() { To = to, Status = "Rejected", Reference = reference, Parts = 0, MessageDetails = details, MessageErrorCode = code };

    private static BmSendResponse Ok(string details) => new() { Details = details, ErrorCode = 0, Messages = [] };

    private static BmSendResponse Error(int code, string details) => new() { Details = details, ErrorCode = code, Messages = [] };

    private static Answer Fail(int status, int code, string details) => new(status, Error(code, details), null, details);
}
