using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace BotRouter.Simulator.Tests;

/// <summary>One simulator and one fake app per test, each on a free port.</summary>
public abstract class SimulatorTest : IAsyncLifetime
{
    protected const string AccountId = "9b0c6f49-3f1e-4c1e-9a3c-5d7b2f1e0a11";
    protected const string ProductToken = "00000000-1111-2222-3333-444444444444";
    protected const string WebhookSecret = "webhook-secret";
    protected const string BusinessNumber = "+3197010000000";
    protected const string Customer = "+31612345678";

    private WebApplication? simulator;

    protected FakeApp App { get; private set; } = null!;
    protected HttpClient Http { get; private set; } = null!;
    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        App = await FakeApp.StartAsync(Cancel);
        var options = new SimulatorOptions
        {
            Urls = "http://127.0.0.1:0",
            AppBaseUrl = App.BaseUrl,
            AccountId = AccountId,
            ProductToken = ProductToken,
            BusinessNumber = BusinessNumber,
            WebhookSecret = WebhookSecret,
            WebhookRetryDelay = TimeSpan.FromMilliseconds(50),
            StatusReportDelay = TimeSpan.FromMilliseconds(10),
            StatusReportRetryDelay = TimeSpan.FromMilliseconds(20),
        };
        Configure(options);
        simulator = SimulatorApp.Build(options);
        await simulator.StartAsync(Cancel);
        Http = new HttpClient { BaseAddress = new Uri(simulator.Urls.First()) };
    }

    /// <summary>A test class's own simulator settings, applied before the simulator is built.</summary>
    protected virtual void Configure(SimulatorOptions options)
    {
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (simulator is not null)
        {
            await simulator.DisposeAsync();
        }

        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected async Task<JsonNode> CustomerSaysAsync(string text, string channel = "WhatsApp", string from = Customer)
    {
        using var response = await Http.PostAsJsonAsync("/simulator/customer/messages", new { channel, from, text }, Cancel);
        response.EnsureSuccessStatusCode();
        return (await ReadAsync(response))!;
    }

    protected async Task<string> OpenChatAsync()
    {
        var result = await CustomerSaysAsync("hi");
        return result["chatId"]!.GetValue<string>();
    }

    protected Task<HttpResponseMessage> RouterPostAsync(string path, string? json, string token = ProductToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path.Replace("{accountId}", AccountId, StringComparison.Ordinal));
        request.Headers.Add("X-CM-PRODUCTTOKEN", token);
        request.Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json");
        return Http.SendAsync(request, Cancel);
    }

    protected Task<HttpResponseMessage> BotSendsAsync(string text, string to = Customer, string token = ProductToken, string reference = "reply-1")
    {
        var message = new JsonObject
        {
            ["from"] = BusinessNumber,
            ["to"] = new JsonArray(new JsonObject { ["number"] = to }),
            ["body"] = new JsonObject { ["type"] = "auto", ["content"] = text },
            ["allowedChannels"] = new JsonArray("WhatsApp"),
            ["reference"] = reference,
        };
        var body = new JsonObject { ["messages"] = new JsonObject { ["msg"] = new JsonArray(message) } };
        return RouterPostAsync("/conversational/bmproxy/v1/accounts/{accountId}", body.ToJsonString(), token);
    }

    protected Task<HttpResponseMessage> MutateAsync(string chatId, string type, string component = "CmBot", string? contextJson = null)
    {
        var body = new JsonObject
        {
            ["ChatId"] = chatId,
            ["Mutations"] = new JsonArray(new JsonObject { ["$type"] = type, ["ComponentId"] = component }),
        };
        if (contextJson is not null)
        {
            body["Context"] = JsonNode.Parse(contextJson);
        }

        return RouterPostAsync("/conversational/control/v1/accounts/{accountId}/sessions/mutationrequests", body.ToJsonString());
    }

    protected Task<HttpResponseMessage> PositionAsync(string chatId, string flowId = "main", string stepId = "start") =>
        RouterPostAsync(
            "/conversational/control/v1/accounts/{accountId}/sessions/positionrequests",
            new JsonObject { ["ChatId"] = chatId, ["FlowId"] = flowId, ["StepId"] = stepId }.ToJsonString());

    /// <summary>Polls until <paramref name="condition"/> holds (background work: retries, status reports); fails after 5 s.</summary>
    protected static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}");
            await Task.Delay(20, Cancel);
        }
    }

    protected async Task<JsonNode> GetAsync(string path)
    {
        using var response = await Http.GetAsync(path, Cancel);
        response.EnsureSuccessStatusCode();
        return (await ReadAsync(response))!;
    }

    protected static async Task<JsonNode?> ReadAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel));
}
