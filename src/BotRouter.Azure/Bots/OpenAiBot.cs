using System.ClientModel;
using System.Net;
using System.Text.Json;
using BotRouter.Core.Bots;
using BotRouter.Core.Configuration;
using BotRouter.Core.Flows;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BotRouter.Azure.Bots;

/// <summary>
/// An LLM behind an OpenAI-compatible chat completions endpoint. Each chat's earlier exchange is kept in the
/// chat's bot state (bounded by <see cref="BotOptions.MemoryTurns"/> and <see cref="BotOptions.MemoryChars"/>),
/// and the model may call one tool, <c>handover_to_agent</c>, to hand the chat to a human.
/// </summary>
public sealed partial class OpenAiBot(IChatClient chat, IOptions<BotOptions> options, ILogger<OpenAiBot> logger) : IBot
{
    public const string HandOverTool = "handover_to_agent";
    private const string HandedOver = "[handed the chat over to a human agent]";

    private static readonly AITool HandOverDeclaration = AIFunctionFactory.CreateDeclaration(
        HandOverTool,
        "Hand the conversation over to a human agent: when the customer asks for a person, or when you cannot help.",
        JsonDocument.Parse("""
            {
              "type": "object",
              "properties": {
                "team": { "type": "string", "description": "The team that should take the chat, if known (e.g. billing, sales, support)." },
                "reason": { "type": "string", "description": "In a few words, why the chat is handed over." }
              },
              "additionalProperties": false
            }
            """).RootElement.Clone());

    public FlowSet? Flows => null;

    public async Task<BotAnswer> AnswerAsync(BotInput input, CancellationToken cancellationToken)
    {
        var o = options.Value;
        switch (input.Event)
        {
            case BotEvent.Reset:
                return BotAnswer.Silent();

            // The model is not asked on a hand-back: the customer speaks next, and the memory is still there.
            case BotEvent.HandBack:
                return BotAnswer.Silent(input.State);
        }

        // A new session starts with an empty memory (the app already dropped the state; this keeps the promise alone).
        var memory = Remember(input.NewSession ? null : input.State, input.ChatId);
        var said = Describe(input.Message);
        List<ChatMessage> messages = [new(ChatRole.System, o.Instructions)];
        foreach (var turn in memory)
        {
            messages.Add(new ChatMessage(ChatRole.User, turn.Customer));
            messages.Add(new ChatMessage(ChatRole.Assistant, turn.Bot));
        }

        messages.Add(new ChatMessage(ChatRole.User, said));
        ChatResponse response;
        try
        {
            response = await chat.GetResponseAsync(messages, new ChatOptions { Tools = [HandOverDeclaration], ToolMode = ChatToolMode.Auto }, cancellationToken);
        }
        catch (ClientResultException e) when (e.Status is 0 or >= 500 or (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests
                                                  or (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden or (int)HttpStatusCode.NotFound)
        {
            // Outages and configuration errors (key, model, URL) wait in the queue and then in poison for a replay.
            throw new BotUnavailableException($"The OpenAI-compatible endpoint failed for chat {input.ChatId} with status {e.Status}.", e);
        }
        catch (ClientResultException e)
        {
            LogRefused(input.ChatId, e.Status);
            return new BotAnswer([BotReply.Of(o.Fallback)], State: input.State);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or Polly.ExecutionRejectedException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new BotUnavailableException($"The OpenAI-compatible endpoint could not be reached for chat {input.ChatId}: {e.Message}", e);
        }

        var text = response.Text.Trim();
        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().FirstOrDefault(c => c.Name == HandOverTool);
        var handOver = call is null ? null : new BotHandOver(ContextOf(call));
        if (text.Length == 0 && handOver is null)
        {
            LogEmpty(input.ChatId);
            return new BotAnswer([BotReply.Of(o.Fallback)], State: input.State);
        }

        var turns = memory.Append(new ChatMemoryTurn(said, text.Length > 0 ? text : HandedOver)).ToList();
        LogAnswered(input.ChatId, text.Length, handOver is not null);
        return new BotAnswer(text.Length > 0 ? [BotReply.Of(text)] : [], handOver, Bound(turns, o.MemoryTurns, o.MemoryChars));
    }

    /// <summary>The newest turns that fit both bounds, as JSON; the oldest go first.</summary>
    internal static string Bound(List<ChatMemoryTurn> turns, int maxTurns, int maxChars)
    {
        if (turns.Count > maxTurns)
        {
            turns.RemoveRange(0, turns.Count - maxTurns);
        }

        while (true)
        {
            var json = JsonSerializer.Serialize(new ChatMemory(turns), BotJson.Relaxed.ChatMemory);
            if (json.Length <= maxChars || turns.Count == 0)
            {
                return json;
            }

            turns.RemoveAt(0);
        }
    }

    private IReadOnlyList<ChatMemoryTurn> Remember(string? state, string chatId)
    {
        if (state is null)
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize(state, BotJson.Relaxed.ChatMemory)?.Turns ?? [];
        }
        catch (JsonException)
        {
            // A state from another bot kind (e.g. after Bot__Kind changed): start the conversation afresh.
            LogForgot(chatId);
            return [];
        }
    }

    private static string Describe(CustomerMessage message) => (message.Text, message.Media) switch
    {
        ({ Length: > 0 } text, null) => text,
        ({ Length: > 0 } text, { } media) => $"{text}\n[The customer attached a file: {media.ContentType ?? "unknown type"} {media.Uri}]",
        (_, { } media) => $"[The customer sent a file: {media.ContentType ?? "unknown type"} {media.Uri}]",
        _ => "[The customer sent an empty message]",
    };

    /// <summary>The tool's string arguments, non-empty ones only, as the mutation's context.</summary>
    private static Dictionary<string, string> ContextOf(FunctionCallContent call)
    {
        var context = new Dictionary<string, string>();
        foreach (var name in new[] { "team", "reason" })
        {
            var value = call.Arguments?.TryGetValue(name, out var v) == true ? v switch
            {
                string s => s,
                JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
                _ => null,
            } : null;
            if (value?.Trim() is { Length: > 0 } trimmed)
            {
                context[name] = trimmed;
            }
        }

        return context;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Chat {ChatId}: the OpenAI-compatible endpoint refused the request with status {Status}; the customer gets the fallback text")]
    private partial void LogRefused(string chatId, int status);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Chat {ChatId}: the model answered neither text nor a hand-over; the customer gets the fallback text")]
    private partial void LogEmpty(string chatId);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Chat {ChatId}: the saved bot state is not this bot's memory; starting afresh")]
    private partial void LogForgot(string chatId);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Chat {ChatId}: the model answered {Characters} characters, hand-over {HandOver}")]
    private partial void LogAnswered(string chatId, int characters, bool handOver);
}
