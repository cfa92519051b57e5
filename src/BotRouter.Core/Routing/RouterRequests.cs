using System.Text.Json;
using BotRouter.Core.Chats;
using BotRouter.Core.Contracts;

namespace BotRouter.Core.Routing;

/// <summary>Builds the exact bodies of the Bot Router calls (BMProxy, mutation, position, reset).</summary>
public sealed class RouterRequests(string botComponentId)
{
    public static RouterCall Reply(ChatState chat, string callId, string text, IReadOnlyList<string> suggestions)
    {
        var message = new BmMessage
        {
            From = chat.BusinessNumber ?? string.Empty,
            To = [new BmRecipient { Number = chat.CustomerNumber ?? string.Empty }],
            Body = new BmBody { Content = text },
            AllowedChannels = chat.Channel is { Length: > 0 } channel ? [channel] : null,
            Reference = callId,
            RichContent = suggestions.Count == 0
                ? null
                : new BmRichContent
                {
                    Conversation = [new BmConversationItem { Text = text }],
                    Suggestions = [.. suggestions.Select(s => new BmSuggestion { Label = s, PostbackData = s })],
                },
        };
        var body = JsonSerializer.Serialize(new BmSendRequest { Messages = new BmMessages { Msg = [message] } }, CoreJson.Wire.BmSendRequest);
        return new RouterCall(callId, RouterCallKind.Reply, body, chat.Epoch, $"reply \"{Shorten(text)}\"");
    }

    public RouterCall Disable(ChatState chat, string callId, IReadOnlyDictionary<string, string>? context) =>
        Mutate(chat, callId, Mutation.Disable, context);

    public RouterCall Enable(ChatState chat, string callId) => Mutate(chat, callId, Mutation.Enable, null);

    public static RouterCall Position(ChatState chat, string callId, string flowId, string stepId)
    {
        var body = JsonSerializer.Serialize(new PositionRequest { ChatId = chat.ChatId, FlowId = flowId, StepId = stepId }, CoreJson.Wire.PositionRequest);
        return new RouterCall(callId, RouterCallKind.Position, body, chat.Epoch, $"position {flowId}/{stepId}");
    }

    public static RouterCall Reset(ChatState chat, string callId) =>
        new(callId, RouterCallKind.Reset, null, chat.Epoch, "reset routing");

    private RouterCall Mutate(ChatState chat, string callId, string type, IReadOnlyDictionary<string, string>? context)
    {
        var request = new MutationRequest
        {
            ChatId = chat.ChatId,
            Mutations = [new Mutation { Type = type, ComponentId = botComponentId }],
            Context = context is { Count: > 0 } ? context : null,
        };
        var body = JsonSerializer.Serialize(request, CoreJson.Wire.MutationRequest);
        var team = request.Context is null ? string.Empty : $" with context {string.Join(", ", request.Context.Select(kv => $"{kv.Key}={kv.Value}"))}";
        return new RouterCall(callId, RouterCallKind.Mutation, body, chat.Epoch, $"{type} {botComponentId}{team}");
    }

    internal static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
}
