using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using BotRouter.IntegrationTests.Infrastructure;

namespace BotRouter.IntegrationTests;

/// <summary>
/// The dev host as a user runs it: its own process, with the simulator, on real Azurite; a customer message
/// posted to the webhook comes back as a BMProxy reply at the simulator.
/// </summary>
public sealed class DevHostEndToEndTests(DevHostEndToEndTests.OwnAzurite azurite) : IClassFixture<DevHostEndToEndTests.OwnAzurite>, IAsyncLifetime
{
    private const string AccountId = "e17acdef-c918-423d-a01b-1000cd084f6a";
    private readonly string appUrl = $"http://127.0.0.1:{FreePorts.Next()}";
    private readonly string simulatorUrl = $"http://127.0.0.1:{FreePorts.Next()}";
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private DevHostProcess? run;

    /// <summary>The host's queue listeners take every signal they see, so it gets an Azurite no other test uses.</summary>
    public sealed class OwnAzurite : IAsyncLifetime
    {
        private readonly AzuriteFixture inner = new();

        public string ConnectionString => inner.ConnectionString;

        public ValueTask InitializeAsync() => inner.InitializeAsync();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    public async ValueTask InitializeAsync()
    {
        run = DevHostProcess.Start(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["DevHost__Urls"] = appUrl,
            ["Simulator__Urls"] = simulatorUrl,
            ["BotRouter__AccountId"] = AccountId,
            ["BotRouter__ProductToken"] = "e2e-token",
        });
        await run.WaitHealthyAsync(appUrl, TimeSpan.FromSeconds(90));
    }

    public async ValueTask DisposeAsync()
    {
        if (run is not null)
        {
            await run.DisposeAsync();
        }

        http.Dispose();
    }

    [Fact]
    public async Task The_seed_example_webhook_with_a_text_gets_a_reply_at_the_simulator()
    {
        var chatId = Guid.NewGuid().ToString();
        var body = JsonNode.Parse(BotRouter.Tests.Shared.SeedSamples.Webhook)!.AsObject();
        body["message"]!["text"] = "Hello";
        body["reference"] = Guid.NewGuid().ToString();
        body["conversationalRouter"]!["chatId"] = chatId;

        using var posted = await http.PostAsync($"{appUrl}/api/webhook", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)posted.StatusCode);

        var send = await PollAsync(async () =>
        {
            var calls = await http.GetFromJsonAsync<JsonArray>($"{simulatorUrl}/simulator/calls?kind=send", TestContext.Current.CancellationToken);
            return calls!.FirstOrDefault(c => c!["requestBody"]!.GetValue<string>().Contains("+316012345678", StringComparison.Ordinal) && c["status"]!.GetValue<int>() == 200);
        });
        var msg = JsonNode.Parse(send["requestBody"]!.GetValue<string>())!["messages"]!["msg"]![0]!;
        Assert.Equal("WhatsApp", msg["allowedChannels"]![0]!.GetValue<string>());
        Assert.True(send["productTokenValid"]!.GetValue<bool>());

        var chat = await http.GetFromJsonAsync<JsonObject>($"{appUrl}/api/chats/{chatId}", TestContext.Current.CancellationToken);
        Assert.Equal("bot", chat!["mode"]!.GetValue<string>());
        Assert.Equal("welcome", chat["stepId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_customer_who_asks_for_a_human_reaches_the_agent_side_of_the_simulator()
    {
        using var first = await http.PostAsJsonAsync($"{simulatorUrl}/simulator/customer/messages", new { channel = "SMS", from = "+31687654321", text = "hi" }, TestContext.Current.CancellationToken);
        var chatId = (await first.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken))!["chatId"]!.GetValue<string>();
        using var second = await http.PostAsJsonAsync($"{simulatorUrl}/simulator/customer/messages", new { channel = "SMS", from = "+31687654321", text = "agent please" }, TestContext.Current.CancellationToken);

        var chat = await PollAsync(async () =>
        {
            var view = await http.GetFromJsonAsync<JsonObject>($"{simulatorUrl}/simulator/chats/{chatId}", TestContext.Current.CancellationToken);
            return view!.ToJsonString().Contains("\"team\":\"general\"", StringComparison.Ordinal) ? view : null;
        });

        Assert.Contains("disable", chat.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        var stats = await http.GetFromJsonAsync<JsonObject>($"{simulatorUrl}/simulator/stats", TestContext.Current.CancellationToken);
        Assert.Equal(0, stats!["rejectedBotSends"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_real_worker_answers_typed_results_and_problem_details_as_the_functions_return_them()
    {
        var ct = TestContext.Current.CancellationToken;
        using var invalid = await http.PostAsync($"{appUrl}/api/webhook", new StringContent("{not json", Encoding.UTF8, "application/json"), ct);
        Assert.Equal(400, (int)invalid.StatusCode);
        Assert.Equal("application/problem+json", invalid.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Invalid JSON", (await invalid.Content.ReadFromJsonAsync<JsonObject>(ct))!["title"]!.GetValue<string>());

        using var badId = await http.PostAsync($"{appUrl}/api/chats/nope/takeover", new StringContent(string.Empty), ct);
        Assert.Equal(400, (int)badId.StatusCode);
        Assert.Equal("application/problem+json", badId.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Invalid chatId", (await badId.Content.ReadFromJsonAsync<JsonObject>(ct))!["title"]!.GetValue<string>());

        using var unknown = await http.GetAsync($"{appUrl}/api/chats/{Guid.NewGuid()}", ct);
        Assert.Equal(404, (int)unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        using var hours = await http.GetAsync($"{appUrl}/api/hours", ct);
        Assert.Equal(200, (int)hours.StatusCode);
        Assert.Equal("application/json", hours.Content.Headers.ContentType?.MediaType);
    }

    private Task<JsonNode> PollAsync(Func<Task<JsonNode?>> probe) => run!.PollAsync(probe, TimeSpan.FromSeconds(30));
}
