using System.Net;
using System.Text.Json.Nodes;
using BotRouter.Core.Bots;
using BotRouter.Core.Chats;
using BotRouter.Core.Routing;

namespace BotRouter.Simulator.Tests;

/// <summary>The exact bodies the app builds (Core's <see cref="RouterRequests"/>) are what the simulator accepts.</summary>
public sealed class CoreRequestsTests : SimulatorTest
{
    private async Task<ChatState> ChatFromWebhookAsync()
    {
        await CustomerSaysAsync("hi");
        var mo = JsonNode.Parse(Assert.Single(App.Webhooks).Body)!;
        return ChatState.New(mo["conversationalRouter"]!["chatId"]!.GetValue<string>(), DateTimeOffset.UtcNow) with
        {
            Channel = mo["channel"]!.GetValue<string>(),
            CustomerNumber = mo["from"]!["number"]!.GetValue<string>(),
            BusinessNumber = mo["to"]!["number"]!.GetValue<string>(),
        };
    }

    private Task<HttpResponseMessage> PostAsync(string pathTemplate, RouterCall call, string chatId) =>
        RouterPostAsync(pathTemplate.Replace("{chatId}", chatId, StringComparison.Ordinal), call.Body);

    [Fact]
    public async Task Reply_with_suggestions_built_by_the_app_reaches_the_customer()
    {
        var chat = await ChatFromWebhookAsync();
        var reply = RouterRequests.Reply(chat, "call-1", BotReply.Of("How can I help?", "Billing", "Agent"));

        using var response = await PostAsync("/conversational/bmproxy/v1/accounts/{accountId}", reply, chat.ChatId);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var transcript = (await GetAsync($"/simulator/chats/{chat.ChatId}"))["transcript"]!.AsArray();
        var bot = Assert.Single(transcript, e => e!["sender"]!.GetValue<string>() == "bot")!;
        Assert.Equal("Billing", bot["suggestions"]![0]!["postbackdata"]!.GetValue<string>());
    }

    [Fact]
    public async Task Hand_over_then_hand_back_built_by_the_app_is_accepted_in_order()
    {
        var chat = await ChatFromWebhookAsync();
        var requests = new RouterRequests(new RouterComponents("CmBot", "CustomerContact"), "component");
        const string control = "/conversational/control/v1/accounts/{accountId}/sessions/";

        using var disable = await PostAsync(control + "mutationrequests", requests.Disable(chat, "c1", new Dictionary<string, string> { ["team"] = "billing" }), chat.ChatId);
        using var quietReply = await PostAsync("/conversational/bmproxy/v1/accounts/{accountId}", RouterRequests.Reply(chat, "c2", BotReply.Of("too late")), chat.ChatId);
        using var enable = await PostAsync(control + "mutationrequests", requests.Enable(chat, "c3"), chat.ChatId);
        using var position = await PostAsync(control + "positionrequests", RouterRequests.Position(chat, "c4", "main", "start"), chat.ChatId);

        Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        Assert.Equal("Rejected", (await ReadAsync(quietReply))!["messages"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        Assert.Equal(HttpStatusCode.OK, position.StatusCode);
        var detail = (await GetAsync($"/simulator/chats/{chat.ChatId}"))["chat"]!;
        Assert.Equal("billing", detail["context"]!["team"]!.GetValue<string>());
        Assert.Equal("bot", detail["components"]!["mode"]!.GetValue<string>());
    }
}
