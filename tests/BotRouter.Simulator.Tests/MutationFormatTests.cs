using System.Net;
using System.Text.Json.Nodes;

namespace BotRouter.Simulator.Tests;

/// <summary>
/// Both mutation URLs (the old <c>sessions/mutationrequests</c> and CM's current <c>chats/{chatId}/routing/mutationrequests</c>)
/// and both body formats (the seed's <c>component</c>, CM's current <c>rule</c>) change the routing the same way.
/// </summary>
public sealed class MutationFormatTests : SimulatorTest
{
    private const string SessionsPath = "/conversational/control/v1/accounts/{accountId}/sessions/mutationrequests";
    private const string ChatsPath = "/conversational/control/v1/accounts/{accountId}/chats/{chatId}/routing/mutationrequests";

    public static TheoryData<string, string> PathsAndFormats => new()
    {
        { SessionsPath, "component" },
        { SessionsPath, "rule" },
        { ChatsPath, "component" },
        { ChatsPath, "rule" },
    };

    private static JsonObject Item(string format, bool enable, string component) => format == "rule"
        ? new JsonObject { ["$type"] = "ruleMutation", ["action"] = enable ? "Enable" : "Disable", ["operator"] = "And", ["targetAdapterId"] = component }
        : new JsonObject { ["$type"] = enable ? "enableComponent" : "disableComponent", ["ComponentId"] = component };

    private Task<HttpResponseMessage> PostMutationAsync(string path, string chatId, JsonObject item, string? bodyChatId, JsonObject? context = null)
    {
        var body = new JsonObject { ["Mutations"] = new JsonArray(item) };
        if (bodyChatId is not null)
        {
            body["ChatId"] = bodyChatId;
        }

        if (context is not null)
        {
            body["Context"] = context;
        }

        return RouterPostAsync(path.Replace("{chatId}", chatId, StringComparison.Ordinal), body.ToJsonString());
    }

    private async Task<JsonNode> ChatAsync(string chatId) => (await GetAsync($"/simulator/chats/{chatId}"))["chat"]!;

    [Theory]
    [MemberData(nameof(PathsAndFormats))]
    public async Task Disable_with_context_then_enable_changes_the_routing(string path, string format)
    {
        var chatId = await OpenChatAsync();

        using var disable = await PostMutationAsync(path, chatId, Item(format, enable: false, "CmBot"), chatId, new JsonObject { ["team"] = "billing" });

        Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        Assert.Equal(0, (await ReadAsync(disable))!["errorCode"]!.GetValue<int>());
        var handedOver = await ChatAsync(chatId);
        Assert.Equal("agent", handedOver["components"]!["mode"]!.GetValue<string>());
        Assert.False(handedOver["components"]!["botEnabled"]!.GetValue<bool>());
        Assert.Equal("billing", handedOver["context"]!["team"]!.GetValue<string>());
        Assert.Equal("agent", (await CustomerSaysAsync("still there?"))["deliveredTo"]!.GetValue<string>());

        using var enable = await PostMutationAsync(path, chatId, Item(format, enable: true, "CmBot"), chatId);

        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        Assert.Equal("bot", (await ChatAsync(chatId))["components"]!["mode"]!.GetValue<string>());
        var timeline = (await GetAsync($"/simulator/chats/{chatId}"))["timeline"]!.AsArray();
        Assert.Contains(timeline, t => t!["kind"]!.GetValue<string>() == "mutation" && t["summary"]!.GetValue<string>().Contains($"({format} format)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("component")]
    [InlineData("rule")]
    public async Task On_the_chats_url_the_body_may_leave_out_the_chat_id(string format)
    {
        var chatId = await OpenChatAsync();

        using var response = await PostMutationAsync(ChatsPath, chatId, Item(format, enable: false, "CmBot"), bodyChatId: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("agent", (await ChatAsync(chatId))["components"]!["mode"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("component")]
    [InlineData("rule")]
    public async Task A_body_chat_id_that_differs_from_the_url_is_a_bad_request_and_changes_nothing(string format)
    {
        var chatId = await OpenChatAsync();
        var other = (await CustomerSaysAsync("hi", from: "+31687654321"))["chatId"]!.GetValue<string>();

        using var response = await PostMutationAsync(ChatsPath, chatId, Item(format, enable: false, "CmBot"), bodyChatId: other);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(400, (await ReadAsync(response))!["errorCode"]!.GetValue<int>());
        Assert.Equal("bot", (await ChatAsync(chatId))["components"]!["mode"]!.GetValue<string>());
        Assert.Equal("bot", (await ChatAsync(other))["components"]!["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_same_chat_id_in_another_spelling_is_not_a_mismatch()
    {
        var chatId = await OpenChatAsync();

        using var response = await PostMutationAsync(ChatsPath, chatId, Item("rule", enable: false, "CmBot"), bodyChatId: chatId.ToUpperInvariant());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"$type":"ruleMutation","action":"Pause","operator":"And","targetAdapterId":"CmBot"}""")]
    [InlineData("""{"$type":"ruleMutation","action":"Disable","operator":"Xor","targetAdapterId":"CmBot"}""")]
    [InlineData("""{"$type":"ruleMutation","action":"Disable","operator":"And","targetAdapterId":"SomethingElse"}""")]
    [InlineData("""{"$type":"ruleMutation","action":"Disable","operator":"And"}""")]
    [InlineData("""{"$type":"toggleComponent","ComponentId":"CmBot"}""")]
    public async Task A_malformed_mutation_of_either_format_is_refused_and_changes_nothing(string item)
    {
        var chatId = await OpenChatAsync();

        using var response = await PostMutationAsync(SessionsPath, chatId, JsonNode.Parse(item)!.AsObject(), chatId);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bot", (await ChatAsync(chatId))["components"]!["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_rule_mutation_without_an_operator_or_with_a_source_adapter_is_accepted()
    {
        var chatId = await OpenChatAsync();
        var item = new JsonObject { ["$type"] = "ruleMutation", ["action"] = "Disable", ["sourceAdapterId"] = "WhatsApp", ["targetAdapterId"] = "CmBot" };

        using var response = await PostMutationAsync(ChatsPath, chatId, item, chatId);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("agent", (await ChatAsync(chatId))["components"]!["mode"]!.GetValue<string>());
    }
}
