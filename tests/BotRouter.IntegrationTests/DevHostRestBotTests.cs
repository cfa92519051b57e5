using System.Net.Http.Json;
using System.Text.Json.Nodes;
using BotRouter.IntegrationTests.Infrastructure;

namespace BotRouter.IntegrationTests;

/// <summary>
/// The run command with <c>Bot__Kind=rest</c>: the dev host in its own process, the simulator, real Azurite and a
/// real HTTP fake of a vendor's REST bot. A customer in the simulator is answered by that bot and handed over by it.
/// </summary>
public sealed class DevHostRestBotTests(DevHostEndToEndTests.OwnAzurite azurite) : IClassFixture<DevHostEndToEndTests.OwnAzurite>, IAsyncLifetime
{
    private readonly string appUrl = $"http://127.0.0.1:{FreePorts.Next()}";
    private readonly string simulatorUrl = $"http://127.0.0.1:{FreePorts.Next()}";
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private RestBotFake bot = null!;
    private DevHostProcess? run;

    public async ValueTask InitializeAsync()
    {
        bot = await RestBotFake.StartAsync();
        run = DevHostProcess.Start(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["DevHost__Urls"] = appUrl,
            ["Simulator__Urls"] = simulatorUrl,
            ["BotRouter__AccountId"] = "5b0e3c1e-8a55-4f57-9d8e-6c2b7f0a1d42",
            ["BotRouter__ProductToken"] = "e2e-token",
            ["Bot__Kind"] = "rest",
            ["Bot__Url"] = bot.Url,
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
        await bot.DisposeAsync();
    }

    [Fact]
    public async Task A_simulator_customer_is_answered_by_the_rest_bot_and_handed_over_by_it()
    {
        var ct = TestContext.Current.CancellationToken;
        bot.Answer("""[{"text":"Hi, I am the vendor's bot.","buttons":[{"title":"Billing","payload":"/billing"}]}]""")
            .Answer("""[{"text":"Billing will help you."},{"custom":{"handover":{"context":{"team":"billing"}}}}]""");

        using var first = await http.PostAsJsonAsync($"{simulatorUrl}/simulator/customer/messages", new { channel = "WhatsApp", from = "+31687650001", text = "hi" }, ct);
        var chatId = (await first.Content.ReadFromJsonAsync<JsonObject>(ct))!["chatId"]!.GetValue<string>();
        var send = await PollAsync(async () =>
        {
            var calls = await http.GetFromJsonAsync<JsonArray>($"{simulatorUrl}/simulator/calls?kind=send", ct);
            return calls!.FirstOrDefault(c => c!["requestBody"]!.GetValue<string>().Contains("vendor's bot", StringComparison.Ordinal) && c["status"]!.GetValue<int>() == 200);
        }, TimeSpan.FromSeconds(30));
        var msg = JsonNode.Parse(send["requestBody"]!.GetValue<string>())!["messages"]!["msg"]![0]!;
        Assert.Equal("Billing", msg["richContent"]!["suggestions"]![0]!["label"]!.GetValue<string>());

        using var second = await http.PostAsJsonAsync($"{simulatorUrl}/simulator/customer/messages", new { channel = "WhatsApp", from = "+31687650001", text = "Billing" }, ct);
        var chat = await PollAsync(async () =>
        {
            var view = await http.GetFromJsonAsync<JsonObject>($"{appUrl}/api/chats/{chatId}", ct);
            return view!["mode"]!.GetValue<string>() == "agent" ? view : null;
        }, TimeSpan.FromSeconds(30));

        Assert.Equal("billing", chat["context"]!["team"]!.GetValue<string>());
        Assert.Equal(chatId, bot.Requests.First()["sender"]!.GetValue<string>());

        // The chat's state is committed before its calls go out: the disable mutation reaches the simulator just after.
        var simulated = await PollAsync(async () =>
        {
            var view = await http.GetFromJsonAsync<JsonObject>($"{simulatorUrl}/simulator/chats/{chatId}", ct);
            return view!.ToJsonString().Contains("\"team\":\"billing\"", StringComparison.Ordinal) ? view : null;
        }, TimeSpan.FromSeconds(30));
        Assert.Contains("disable", simulated.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    private Task<JsonNode> PollAsync(Func<Task<JsonNode?>> probe, TimeSpan timeout) => run!.PollAsync(probe, timeout);
}
