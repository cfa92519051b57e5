using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace BotRouter.Simulator.Tests;

/// <summary>
/// BMProxy takes the product token from the <c>X-CM-PRODUCTTOKEN</c> header or, as CM's own SDKs send it, from
/// <c>messages.authentication.producttoken</c> in any casing; wrong or missing is CM's 400 with errorCode 101.
/// </summary>
public sealed class ProductTokenTests : SimulatorTest
{
    private const string SendPath = "/conversational/bmproxy/v1/accounts/{accountId}";

    private static string Body(string? tokenKey, string? token, string reference = "reply-token")
    {
        var messages = new JsonObject
        {
            ["msg"] = new JsonArray(new JsonObject
            {
                ["from"] = BusinessNumber,
                ["to"] = new JsonArray(new JsonObject { ["number"] = Customer }),
                ["body"] = new JsonObject { ["type"] = "auto", ["content"] = "Token test" },
                ["allowedChannels"] = new JsonArray("WhatsApp"),
                ["reference"] = reference,
            }),
        };
        if (tokenKey is not null)
        {
            messages["authentication"] = new JsonObject { [tokenKey] = token };
        }

        return new JsonObject { ["messages"] = messages }.ToJsonString();
    }

    /// <summary>A send with only the header given (or none), unlike <see cref="SimulatorTest.RouterPostAsync"/>, which always sends it.</summary>
    private Task<HttpResponseMessage> PostAsync(string json, string? header = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, SendPath.Replace("{accountId}", AccountId, StringComparison.Ordinal))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (header is not null)
        {
            request.Headers.Add("X-CM-PRODUCTTOKEN", header);
        }

        return Http.SendAsync(request, Cancel);
    }

    private async Task<int> BotMessagesAsync(string chatId) =>
        (await GetAsync($"/simulator/chats/{chatId}"))["transcript"]!.AsArray().Count(e => e!["sender"]!.GetValue<string>() == "bot");

    private static async Task AssertAuthenticationFailedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await ReadAsync(response))!;
        Assert.Equal(101, body["errorCode"]!.GetValue<int>());
        Assert.Equal("Authentication failed", body["details"]!.GetValue<string>());
        Assert.Empty(body["messages"]!.AsArray());
    }

    [Theory]
    [InlineData("producttoken")]
    [InlineData("productToken")]
    [InlineData("ProductToken")]
    [InlineData("PRODUCTTOKEN")]
    public async Task A_token_in_the_body_in_any_casing_is_accepted_without_the_header(string key)
    {
        var chatId = await OpenChatAsync();

        using var response = await PostAsync(Body(key, ProductToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Accepted", (await ReadAsync(response))!["messages"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(1, await BotMessagesAsync(chatId));
    }

    [Fact]
    public async Task A_wrong_token_in_the_body_is_refused_and_nothing_is_sent()
    {
        var chatId = await OpenChatAsync();

        using var response = await PostAsync(Body("producttoken", "11111111-2222-3333-4444-555555555555"));

        await AssertAuthenticationFailedAsync(response);
        Assert.Equal(0, await BotMessagesAsync(chatId));
        Assert.Equal(1, (await GetAsync("/simulator/stats"))["authenticationFailures"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("productToken", "")]
    [InlineData("productToken", null)]
    public async Task No_token_at_all_is_refused(string? key, string? token)
    {
        var chatId = await OpenChatAsync();

        using var response = await PostAsync(Body(key, token));

        await AssertAuthenticationFailedAsync(response);
        Assert.Equal(0, await BotMessagesAsync(chatId));
    }

    [Fact]
    public async Task The_header_alone_still_works()
    {
        var chatId = await OpenChatAsync();

        using var response = await PostAsync(Body(null, null), header: ProductToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await BotMessagesAsync(chatId));
    }

    [Fact]
    public async Task Header_and_body_both_right_is_accepted()
    {
        await OpenChatAsync();

        using var response = await PostAsync(Body("productToken", ProductToken), header: ProductToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(ProductToken, "wrong-token")]
    [InlineData("wrong-token", ProductToken)]
    public async Task Header_and_body_that_disagree_are_refused(string header, string body)
    {
        var chatId = await OpenChatAsync();

        using var response = await PostAsync(Body("productToken", body), header: header);

        await AssertAuthenticationFailedAsync(response);
        Assert.Equal(0, await BotMessagesAsync(chatId));
    }

    [Fact]
    public async Task The_call_log_masks_a_token_from_the_body()
    {
        await OpenChatAsync();
        const string wrong = "99999999-8888-7777-6666-555555555555";
        (await PostAsync(Body("producttoken", ProductToken, "reply-right"))).Dispose();
        (await PostAsync(Body("ProductToken", wrong, "reply-wrong"))).Dispose();

        var log = await Http.GetStringAsync("/simulator/calls?kind=send", Cancel);

        Assert.DoesNotContain(ProductToken, log, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, log, StringComparison.Ordinal);
        var calls = JsonNode.Parse(log)!.AsArray();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Contains("\"***\"", c!["requestBody"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Contains("reply-right", calls[0]!["requestBody"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(calls[0]!["productTokenValid"]!.GetValue<bool>());
        Assert.False(calls[1]!["productTokenValid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_control_api_still_wants_the_header()
    {
        var chatId = await OpenChatAsync();
        var body = new JsonObject
        {
            ["ChatId"] = chatId,
            ["Mutations"] = new JsonArray(new JsonObject { ["$type"] = "disableComponent", ["ComponentId"] = "CmBot" }),
        }.ToJsonString();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/conversational/control/v1/accounts/{AccountId}/sessions/mutationrequests")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };

        using var response = await Http.SendAsync(request, Cancel);

        await AssertAuthenticationFailedAsync(response);
    }
}
