using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace BotRouter.Simulator.Tests;

/// <summary>
/// Send bodies shaped like those CM's own text SDKs (.NET, Node, PHP, Python) build: token in the body, upper-case
/// body types, 00-prefixed numbers, extra fields the app never sends. The simulator must take them, as CM does.
/// </summary>
public sealed class SdkBodyTests : SimulatorTest
{
    private const string SendPath = "/conversational/bmproxy/v1/accounts/{accountId}";
    private const string CustomerWith00 = "0031612345678";

    private async Task<JsonNode> PostWithoutHeaderAsync(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, SendPath.Replace("{accountId}", AccountId, StringComparison.Ordinal))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        using var response = await Http.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await ReadAsync(response))!;
        Assert.Equal(0, body["errorCode"]!.GetValue<int>());
        return body;
    }

    private async Task<JsonNode> LastBotEntryAsync(string chatId) =>
        (await GetAsync($"/simulator/chats/{chatId}"))["transcript"]!.AsArray().Last(e => e!["sender"]!.GetValue<string>() == "bot")!;

    [Fact]
    public async Task A_dotnet_sdk_style_rich_message_with_media_and_suggestions_reaches_the_customer()
    {
        var chatId = await OpenChatAsync();
        var json = $$$"""
            {"messages":{"authentication":{"producttoken":"{{{ProductToken}}}"},"msg":[{
              "allowedChannels":["WhatsApp"],
              "body":{"type":"AUTO","content":"Our logo!"},
              "customGrouping3":"text-sdk-dotnet",
              "from":"{{{BusinessNumber}}}",
              "minimumNumberOfMessageParts":1,
              "maximumNumberOfMessageParts":8,
              "to":[{"number":"{{{CustomerWith00}}}"}],
              "reference":"sdk-dotnet-1",
              "richContent":{
                "conversation":[{"text":"Our logo!"},{"media":{"mediaName":"cm.png","mediaUri":"https://example.com/cm.png","mimeType":"image/png"}}],
                "suggestions":[{"action":"reply","label":"Yes","postbackdata":"yes"},{"action":"openUrl","label":"Site","url":"https://example.com"}]}}]}}
            """;

        var answer = await PostWithoutHeaderAsync(json);

        Assert.Equal("sdk-dotnet-1", answer["messages"]![0]!["reference"]!.GetValue<string>());
        var bot = await LastBotEntryAsync(chatId);
        Assert.Equal("Our logo!", bot["text"]!.GetValue<string>());
        Assert.Equal("https://example.com/cm.png", bot["media"]![0]!["mediaUri"]!.GetValue<string>());
        Assert.Equal(["yes", null], bot["suggestions"]!.AsArray().Select(s => s!["postbackdata"]?.GetValue<string>()));
        Assert.Equal("https://example.com", bot["suggestions"]![1]!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_python_sdk_style_whatsapp_template_without_body_content_is_accepted()
    {
        var chatId = await OpenChatAsync();
        var json = """
            {"messages":{"authentication":{"producttoken":"@token"},"msg":[{
              "allowedChannels":["Whatsapp"],"from":"@business","to":[{"number":"@customer"}],
              "body":{"type":"AUTO","content":""},"reference":"sdk-python-1","customGrouping3":"text-sdk-python",
              "richContent":{"conversation":[{"template":{"whatsapp":{"namespace":"ns-1","element_name":"order_update",
                "language":{"policy":"deterministic","code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":"42"}]}]}}}]}}]}}
            """.Replace("@token", ProductToken, StringComparison.Ordinal)
            .Replace("@business", BusinessNumber, StringComparison.Ordinal)
            .Replace("@customer", CustomerWith00, StringComparison.Ordinal);

        await PostWithoutHeaderAsync(json);

        // "Whatsapp" and a 00-prefixed number name the same chat as the customer's "WhatsApp" / "+31..." chat.
        Assert.Equal("[template order_update]", (await LastBotEntryAsync(chatId))["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_node_sdk_style_message_without_a_reference_is_accepted()
    {
        var chatId = await OpenChatAsync();
        var json = $$$"""
            {"messages":{"authentication":{"productToken":"{{{ProductToken}}}"},"msg":[{
              "customGrouping":"text-sdk-javascript","from":"{{{BusinessNumber}}}","body":{"type":"AUTO","content":"Hello world?!"},
              "to":[{"number":"{{{CustomerWith00}}}"}],"allowedChannels":["WhatsApp"]}]}}
            """;

        var answer = await PostWithoutHeaderAsync(json);

        Assert.Equal("Accepted", answer["messages"]![0]!["status"]!.GetValue<string>());
        Assert.Null(answer["messages"]![0]!["reference"]);
        Assert.Equal("Hello world?!", (await LastBotEntryAsync(chatId))["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_php_sdk_style_message_with_unknown_fields_and_pascal_case_token_is_accepted()
    {
        var chatId = await OpenChatAsync();
        var json = $$$"""
            {"messages":{"authentication":{"ProductToken":"{{{ProductToken}}}"},"msg":[{
              "from":"{{{BusinessNumber}}}","to":[{"number":"{{{Customer}}}"}],"body":{"type":"auto","content":"Hi from PHP"},
              "reference":"sdk-php-1","allowedChannels":["WhatsApp"],"dcs":8,"validity":"2h","appKey":null,
              "customGrouping2":"g2","somethingNew":{"nested":[1,2,3]}}]}}
            """;

        await PostWithoutHeaderAsync(json);

        Assert.Equal("Hi from PHP", (await LastBotEntryAsync(chatId))["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rich_content_without_body_content_shows_its_texts_and_media()
    {
        var chatId = await OpenChatAsync();
        var json = $$$"""
            {"messages":{"authentication":{"producttoken":"{{{ProductToken}}}"},"msg":[{
              "from":"{{{BusinessNumber}}}","to":[{"number":"{{{Customer}}}"}],"body":{"type":"AUTO"},"reference":"rich-1","allowedChannels":["WhatsApp"],
              "richContent":{"conversation":[{"text":"Your invoice"},{"media":{"mediaName":"invoice.pdf","mediaUri":"https://example.com/invoice.pdf","mimeType":"application/pdf"}}]}}]}}
            """;

        await PostWithoutHeaderAsync(json);

        Assert.Equal("Your invoice\nhttps://example.com/invoice.pdf", (await LastBotEntryAsync(chatId))["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Several_recipients_in_one_sdk_message_each_get_a_result()
    {
        var first = await OpenChatAsync();
        var second = (await CustomerSaysAsync("hi", from: "+31687654321"))["chatId"]!.GetValue<string>();
        var json = $$$"""
            {"messages":{"authentication":{"producttoken":"{{{ProductToken}}}"},"msg":[{
              "from":"{{{BusinessNumber}}}","to":[{"number":"{{{CustomerWith00}}}"},{"number":"0031687654321"}],
              "body":{"type":"AUTO","content":"News for all"},"reference":"multi-1","allowedChannels":["WhatsApp"]}]}}
            """;

        var answer = await PostWithoutHeaderAsync(json);

        Assert.Equal(["0031612345678", "0031687654321"], answer["messages"]!.AsArray().Select(m => m!["to"]!.GetValue<string>()));
        Assert.Equal("News for all", (await LastBotEntryAsync(first))["text"]!.GetValue<string>());
        Assert.Equal("News for all", (await LastBotEntryAsync(second))["text"]!.GetValue<string>());
    }
}
