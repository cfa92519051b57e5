using System.Text.Json.Nodes;
using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;

namespace BotRouter.IntegrationTests;

/// <summary>CM's delivery status reports on real Azurite: recorded against the reply, 200 for any well-formed report, 400 for garbage.</summary>
public sealed class StatusReportTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private AppHarness app = null!;

    public async ValueTask InitializeAsync() => app = await AppHarness.StartAsync(azurite);

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private Task<HttpAnswer> Report(string body) => app.ExecuteAsync(r => app.Function<StatusReports>().Run(r, CancellationToken.None), body);

    private static string ReportBody(string reference, int code, bool asArray = false)
    {
        var msg = new JsonObject
        {
            ["received"] = DateTimeOffset.UtcNow.ToString("O"),
            ["to"] = "+31612345678",
            ["reference"] = reference,
            ["status"] = new JsonObject { ["code"] = code, ["errorCode"] = code == 3 ? 5 : null, ["errorDescription"] = code == 3 ? "unreachable" : null },
            ["operator"] = null,
        };
        return new JsonObject { ["messages"] = new JsonObject { ["msg"] = asArray ? new JsonArray(msg) : msg } }.ToJsonString();
    }

    private async Task<(string ChatId, string Reference)> AnsweredChatAsync()
    {
        var chatId = AppHarness.NewChatId();
        var before = app.Router.To("/bmproxy/").Count;
        Assert.Equal(200, (await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(chatId, "hi"))).Status);
        await app.DrainAsync(chatId);
        var sent = app.Router.To("/bmproxy/").Skip(before).Single();
        var reference = JsonNode.Parse(sent.Body)!["messages"]!["msg"]![0]!["reference"]!.GetValue<string>();
        return (chatId, reference);
    }

    private async Task<string?> DeliveryOf(string chatId, string reference)
    {
        var view = await app.ExecuteAsync(r => app.Function<ChatOperations>().Get(r, chatId, CancellationToken.None));
        return view.Json!["history"]!.AsArray().Single(h => h!["reference"]?.GetValue<string>() == reference)!["delivery"]?.GetValue<string>();
    }

    [Fact]
    public async Task A_delivered_then_read_report_shows_on_the_reply_in_the_chat_history()
    {
        var (chatId, reference) = await AnsweredChatAsync();
        Assert.Null(await DeliveryOf(chatId, reference));

        var delivered = await Report(ReportBody(reference, 2));
        Assert.Equal(200, delivered.Status);
        Assert.Equal(1, delivered.Json!["recorded"]!.GetValue<int>());
        Assert.Equal("delivered", await DeliveryOf(chatId, reference));

        Assert.Equal(200, (await Report(ReportBody(reference, 4, asArray: true))).Status);
        Assert.Equal("read", await DeliveryOf(chatId, reference));
    }

    [Fact]
    public async Task A_failure_report_is_final_even_when_a_delivered_report_comes_after_it()
    {
        var (chatId, reference) = await AnsweredChatAsync();

        await Report(ReportBody(reference, 3));
        await Report(ReportBody(reference, 2));

        Assert.Equal("failed", await DeliveryOf(chatId, reference));
    }

    [Fact]
    public async Task A_report_for_a_reference_the_app_did_not_make_is_acknowledged_and_ignored()
    {
        var answer = await Report(ReportBody("someone-elses-reference", 2));

        Assert.Equal(200, answer.Status);
        Assert.Equal(1, answer.Json!["received"]!.GetValue<int>());
        Assert.Equal(0, answer.Json!["recorded"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"messages\":{\"msg\":{\"reference\":\"x\"}}}")]
    [InlineData("{\"messages\":{\"msg\":{\"reference\":\"x\",\"status\":{\"code\":9}}}}")]
    public async Task Garbage_is_a_400_problem(string body)
    {
        var answer = await Report(body);

        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }
}
