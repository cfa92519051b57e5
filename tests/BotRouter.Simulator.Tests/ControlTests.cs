using System.Net;
using System.Net.Http.Json;

namespace BotRouter.Simulator.Tests;

public sealed class ControlTests : SimulatorTest
{
    [Fact]
    public async Task Enable_then_position_is_accepted_in_that_order()
    {
        var chatId = await OpenChatAsync();
        (await MutateAsync(chatId, "disableComponent")).EnsureSuccessStatusCode();

        using var enable = await MutateAsync(chatId, "enableComponent");
        using var position = await PositionAsync(chatId, "main", "start");

        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        Assert.Equal(HttpStatusCode.OK, position.StatusCode);
        var chat = (await GetAsync($"/simulator/chats/{chatId}"))["chat"]!;
        Assert.Equal("bot", chat["components"]!["mode"]!.GetValue<string>());
        Assert.Equal("main", chat["position"]!["flowId"]!.GetValue<string>());
        Assert.Equal("start", chat["position"]!["stepId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Position_while_the_bot_is_disabled_is_refused()
    {
        var chatId = await OpenChatAsync();
        (await MutateAsync(chatId, "disableComponent")).EnsureSuccessStatusCode();

        using var position = await PositionAsync(chatId);

        Assert.Equal(HttpStatusCode.Conflict, position.StatusCode);
        Assert.Null((await GetAsync($"/simulator/chats/{chatId}"))["chat"]!["position"]);
    }

    [Fact]
    public async Task Reset_restores_default_routing()
    {
        var chatId = await OpenChatAsync();
        (await MutateAsync(chatId, "disableComponent", contextJson: """{"team":"billing"}""")).EnsureSuccessStatusCode();

        using var reset = await RouterPostAsync($"/conversational/control/v1/accounts/{{accountId}}/sessions/{chatId}/reset", null);

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        var chat = (await GetAsync($"/simulator/chats/{chatId}"))["chat"]!;
        Assert.True(chat["components"]!["botEnabled"]!.GetValue<bool>());
        Assert.Null(chat["context"]);
        Assert.Null(chat["position"]);
    }

    [Fact]
    public async Task Mutation_on_the_chat_routing_url_disables_the_bot()
    {
        var chatId = await OpenChatAsync();

        using var response = await RouterPostAsync($"/conversational/control/v1/accounts/{{accountId}}/chats/{chatId}/routing/mutationrequests", """
            {"Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}]}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("agent", (await GetAsync($"/simulator/chats/{chatId}"))["chat"]!["components"]!["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task Mutation_of_an_unknown_component_is_refused()
    {
        var chatId = await OpenChatAsync();

        using var response = await MutateAsync(chatId, "disableComponent", component: "SomethingElse");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Agent_hand_back_goes_through_the_app_operator_api()
    {
        var chatId = await OpenChatAsync();

        using var response = await Http.PostAsJsonAsync("/simulator/agent/handback", new { chatId, flowId = "main", stepId = "start" }, Cancel);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var call = Assert.Single(App.OperatorCalls);
        Assert.Equal($"/api/chats/{chatId}/handback", call.Path);
        Assert.Contains("\"flowId\":\"main\"", call.Body, StringComparison.Ordinal);
    }
}
