using System.Text.Json;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Core.Contracts;

namespace BotRouter.Core.Routing;

/// <summary>Builds the exact bodies of the Bot Router calls (BMProxy, mutation, position, reset).</summary>
/// <param name="components">The bot component is the one mutations disable and enable; the agent component is never sent.</param>
/// <param name="mutationFormat">The body of mutations: <see cref="MutationFormats.Component"/> (the seed's) or <see cref="MutationFormats.Rule"/>.</param>
public sealed class RouterRequests(RouterComponents components, string mutationFormat)
{
    public RouterComponents Components => components;

    /// <summary>A BM reply; suggestions and media travel as rich content next to the plain text.</summary>
    public static RouterCall Reply(ChatState chat, string callId, BotReply reply)
    {
        var text = reply.Text.Length > 0 || reply.Media is null ? reply.Text : reply.Media.Title ?? reply.Media.Uri;
        List<BmConversationItem>? conversation = reply.Suggestions.Count == 0 && reply.Media is null
            ? null
            : reply.Text.Length > 0 ? [new BmConversationItem { Text = reply.Text }] : [];
        if (reply.Media is { } media)
        {
            conversation!.Add(new BmConversationItem
            {
                Media = new BmMedia { MediaUri = media.Uri, MediaName = media.Title ?? NameOf(media.Uri), MimeType = media.ContentType },
            });
        }

        var message = new BmMessage
        {
            From = chat.BusinessNumber ?? string.Empty,
            To = [new BmRecipient { Number = chat.CustomerNumber ?? string.Empty }],
            Body = new BmBody { Content = text },
            AllowedChannels = chat.Channel is { Length: > 0 } channel ? [channel] : null,
            // Names the chat too, so CM's delivery status report for it finds its chat.
            Reference = Delivery.ReplyReference.For(Chats.ChatId.Parse(chat.ChatId), callId),
            RichContent = conversation is null
                ? null
                : new BmRichContent
                {
                    Conversation = conversation,
                    Suggestions = reply.Suggestions.Count == 0
                        ? null
                        : [.. reply.Suggestions.Select(s => new BmSuggestion { Label = s.Label, PostbackData = s.Postback ?? s.Label })],
                },
        };
        var body = JsonSerializer.Serialize(new BmSendRequest { Messages = new BmMessages { Msg = [message] } }, CoreJson.Wire.BmSendRequest);
        var what = reply.Media is null ? string.Empty : " with media";
        return new RouterCall(callId, RouterCallKind.Reply, body, chat.Epoch, $"reply \"{Shorten(text)}\"{what}");
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
        var sent = context is { Count: > 0 } ? context : null;
        var body = string.Equals(mutationFormat, MutationFormats.Rule, StringComparison.OrdinalIgnoreCase)
            ? JsonSerializer.Serialize(
                new RuleMutationRequest
                {
                    ChatId = chat.ChatId,
                    Mutations = [new RuleMutation { Action = type == Mutation.Disable ? RuleMutation.Disable : RuleMutation.Enable, TargetAdapterId = components.Bot }],
                    Context = sent,
                },
                CoreJson.Wire.RuleMutationRequest)
            : JsonSerializer.Serialize(
                new MutationRequest { ChatId = chat.ChatId, Mutations = [new Mutation { Type = type, ComponentId = components.Bot }], Context = sent },
                CoreJson.Wire.MutationRequest);
        var team = sent is null ? string.Empty : $" with context {string.Join(", ", sent.Select(kv => $"{kv.Key}={kv.Value}"))}";
        return new RouterCall(callId, RouterCallKind.Mutation, body, chat.Epoch, $"{type} {components.Bot}{team}");
    }

    private static string NameOf(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var u) && Path.GetFileName(u.AbsolutePath) is { Length: > 0 } name ? name : "media";

    internal static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
}
