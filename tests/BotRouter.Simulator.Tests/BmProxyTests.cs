using System.Net;

namespace BotRouter.Simulator.Tests;

public sealed class BmProxyTests : SimulatorTest
{
    [Fact]
    public async Task Send_with_the_right_token_is_accepted_and_recorded()
    {
        var chatId = await OpenChatAsync();

        using var response = await BotSendsAsync("Welcome!");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await ReadAsync(response))!;
        Assert.Equal(0, body["errorCode"]!.GetValue<int>());
        Assert.Equal("Accepted", body["messages"]![0]!["status"]!.GetValue<string>());
        Assert.Equal("reply-1", body["messages"]![0]!["reference"]!.GetValue<string>());
        var chat = await GetAsync($"/simulator/chats/{chatId}");
        Assert.Contains(chat["transcript"]!.AsArray(), e => e!["sender"]!.GetValue<string>() == "bot" && e["text"]!.GetValue<string>() == "Welcome!");
        var calls = (await GetAsync("/simulator/calls")).AsArray();
        Assert.Contains(calls, c => c!["kind"]!.GetValue<string>() == "send" && c["requestBody"]!.GetValue<string>().Contains("Welcome!", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_with_a_wrong_token_is_refused_with_error_code_101()
    {
        await OpenChatAsync();

        using var response = await BotSendsAsync("Welcome!", token: "wrong");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await ReadAsync(response))!;
        Assert.Equal(101, body["errorCode"]!.GetValue<int>());
        Assert.Equal("Authentication failed", body["details"]!.GetValue<string>());
        Assert.Empty(body["messages"]!.AsArray());
    }

    [Fact]
    public async Task Send_after_a_disable_mutation_is_rejected_and_counted()
    {
        var chatId = await OpenChatAsync();
        (await MutateAsync(chatId, "disableComponent")).EnsureSuccessStatusCode();

        using var response = await BotSendsAsync("I should stay quiet");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await ReadAsync(response))!;
        Assert.Equal(201, body["errorCode"]!.GetValue<int>());
        Assert.Equal("Rejected", body["messages"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(1, (await GetAsync("/simulator/stats"))["rejectedBotSends"]!.GetValue<int>());
        Assert.Equal(1, (await GetAsync($"/simulator/chats/{chatId}"))["chat"]!["rejectedBotSends"]!.GetValue<int>());
    }

    [Fact]
    public async Task Message_without_a_sender_is_refused_with_a_message_error_code()
    {
        const string noSender = """{"messages":{"msg":[{"to":[{"number":"+31612345678"}],"body":{"type":"auto","content":"x"},"reference":"r"}]}}""";

        using var response = await RouterPostAsync("/conversational/bmproxy/v1/accounts/{accountId}", noSender);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await ReadAsync(response))!;
        Assert.Equal(303, body["messages"]![0]!["messageErrorCode"]!.GetValue<int>());
    }

    [Fact]
    public async Task Unknown_account_is_not_found()
    {
        using var response = await RouterPostAsync($"/conversational/bmproxy/v1/accounts/{Guid.NewGuid()}", "{}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Call_log_never_holds_the_product_token()
    {
        await OpenChatAsync();
        (await BotSendsAsync("Welcome!")).Dispose();

        using var response = await Http.GetAsync("/simulator/calls", Cancel);
        var log = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Contains("\"productTokenValid\":true", log, StringComparison.Ordinal);
        Assert.DoesNotContain(ProductToken, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reply_to_a_social_channel_id_of_a_known_customer_is_accepted()
    {
        await CustomerSaysAsync("hoi", channel: "Facebook Messenger", from: "psid-4711");

        using var response = await BotSendsAsync("Hello there", to: "psid-4711");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Accepted", (await ReadAsync(response))!["messages"]![0]!["status"]!.GetValue<string>());
    }
}
