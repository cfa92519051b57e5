using System.Text.Json.Nodes;

namespace BotRouter.Simulator.Tests;

public sealed class CustomerTests : SimulatorTest
{
    [Fact]
    public async Task Customer_message_posts_a_well_formed_MO_to_the_app_webhook()
    {
        var result = await CustomerSaysAsync("hello bot");

        var webhook = Assert.Single(App.Webhooks);
        Assert.Equal(WebhookSecret, webhook.Headers["X-Webhook-Secret"]);
        var mo = JsonNode.Parse(webhook.Body)!;
        Assert.Equal(Customer, mo["from"]!["number"]!.GetValue<string>());
        Assert.Equal(BusinessNumber, mo["to"]!["number"]!.GetValue<string>());
        Assert.Equal("hello bot", mo["message"]!["text"]!.GetValue<string>());
        Assert.Equal("WhatsApp", mo["channel"]!.GetValue<string>());
        Assert.Equal(result["reference"]!.GetValue<string>(), mo["reference"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(mo["timeUtc"]!.GetValue<string>(), out _));
        Assert.Equal(result["chatId"]!.GetValue<string>(), mo["conversationalRouter"]!["chatId"]!.GetValue<string>());
        Assert.Equal(AccountId, mo["conversationalRouter"]!["accountId"]!.GetValue<string>());
        Assert.Equal(200, result["webhookStatus"]!.GetValue<int>());
    }

    [Fact]
    public async Task Chat_id_is_stable_for_the_same_channel_sender_and_recipient()
    {
        var first = await CustomerSaysAsync("one");
        var second = await CustomerSaysAsync("two");
        var otherChannel = await CustomerSaysAsync("three", channel: "SMS");

        Assert.Equal(first["chatId"]!.GetValue<string>(), second["chatId"]!.GetValue<string>());
        Assert.NotEqual(first["chatId"]!.GetValue<string>(), otherChannel["chatId"]!.GetValue<string>());
        Assert.NotEqual(first["reference"]!.GetValue<string>(), second["reference"]!.GetValue<string>());
    }

    [Fact]
    public void Chat_id_is_a_version_5_uuid_that_treats_00_and_plus_prefixes_alike()
    {
        var chatId = ChatIds.For("WhatsApp", "+31612345678", BusinessNumber);

        Assert.Equal('5', chatId[14]);
        Assert.Equal(chatId, ChatIds.For("WhatsApp", "0031612345678", BusinessNumber));
    }

    [Fact]
    public async Task Customer_message_while_bot_is_disabled_goes_to_the_agent_inbox_not_the_webhook()
    {
        var chatId = await OpenChatAsync();
        (await MutateAsync(chatId, "disableComponent", contextJson: """{"team":"billing"}""")).EnsureSuccessStatusCode();

        var result = await CustomerSaysAsync("is anyone there?");

        Assert.Equal("agent", result["deliveredTo"]!.GetValue<string>());
        Assert.Single(App.Webhooks); // only the opening "hi"
        var inbox = (await GetAsync("/simulator/agent/inbox")).AsArray();
        var item = Assert.Single(inbox);
        Assert.Equal(chatId, item!["chatId"]!.GetValue<string>());
        Assert.Equal("is anyone there?", item["message"]!["text"]!.GetValue<string>());
        Assert.Equal("billing", item["context"]!["team"]!.GetValue<string>());
    }

    [Fact]
    public async Task Root_serves_the_browser_console()
    {
        using var response = await Http.GetAsync("/", Cancel);

        response.EnsureSuccessStatusCode();
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/simulator/customer/messages", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_that_does_not_answer_200_gets_the_same_MO_again()
    {
        App.WebhookAnswers.Enqueue(503);

        var result = await CustomerSaysAsync("are you there?");

        Assert.Equal(503, result["webhookStatus"]!.GetValue<int>());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (App.Webhooks.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Cancel);
        }

        var posts = App.Webhooks.ToArray();
        Assert.Equal(2, posts.Length);
        Assert.Equal(posts[0].Body, posts[1].Body);
        Assert.Equal(1, (await GetAsync("/simulator/stats"))["webhookRetries"]!.GetValue<int>());
    }
}
