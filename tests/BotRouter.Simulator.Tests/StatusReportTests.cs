using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace BotRouter.Simulator.Tests;

/// <summary>CM posts a delivery status report to the app's <c>/api/status</c> for each accepted bot reply.</summary>
public sealed class StatusReportTests : SimulatorTest
{
    private IReadOnlyList<JsonNode> Reports(string reference) =>
        [.. App.StatusReports.Select(r => JsonNode.Parse(r.Body)!).Where(r => r["messages"]!["msg"]!["reference"]?.GetValue<string>() == reference)];

    private Task WaitForReportsAsync(string reference, int count) =>
        EventuallyAsync(() => Task.FromResult(Reports(reference).Count >= count), $"{count} status report(s) for {reference}");

    [Fact]
    public async Task An_accepted_reply_is_reported_delivered_then_read_in_cm_format()
    {
        var chatId = await OpenChatAsync();

        (await BotSendsAsync("Welcome!", reference: "reply-42")).EnsureSuccessStatusCode();
        await WaitForReportsAsync("reply-42", 2);

        var posts = App.StatusReports.ToArray();
        Assert.All(posts, p => Assert.Equal("/api/status", p.Path));
        Assert.All(posts, p => Assert.StartsWith("application/json", p.Headers["Content-Type"], StringComparison.Ordinal));
        var reports = Reports("reply-42");
        Assert.Equal([2, 4], reports.Select(r => r["messages"]!["msg"]!["status"]!["code"]!.GetValue<int>()));
        var delivered = reports[0]["messages"]!["msg"]!.AsObject();
        Assert.Equal(Customer, delivered["to"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(delivered["received"]!.GetValue<string>(), out var received));
        Assert.True(received > DateTimeOffset.UtcNow.AddMinutes(-1));
        // errorCode, errorDescription and operator are present and null, as CM writes them for a delivered message.
        var status = delivered["status"]!.AsObject();
        Assert.True(status.ContainsKey("errorCode") && status["errorCode"] is null);
        Assert.True(status.ContainsKey("errorDescription") && status["errorDescription"] is null);
        Assert.True(delivered.ContainsKey("operator") && delivered["operator"] is null);

        await EventuallyAsync(
            async () => (await GetAsync($"/simulator/chats/{chatId}"))["transcript"]!.AsArray()
                .Any(e => e!["sender"]!.GetValue<string>() == "bot" && e["deliveryStatus"]?.GetValue<string>() == "read"),
            "the reply to show as read");
        var timeline = (await GetAsync($"/simulator/chats/{chatId}"))["timeline"]!.AsArray();
        Assert.Equal(2, timeline.Count(t => t!["kind"]!.GetValue<string>() == "status" && t["status"]!.GetValue<int>() == 200));
        Assert.Equal(2, (await GetAsync("/simulator/stats"))["statusReports"]!.GetValue<int>());
        Assert.Equal(2, (await GetAsync("/simulator/calls?kind=status")).AsArray().Count);
    }

    [Fact]
    public async Task A_rejected_reply_gets_no_report()
    {
        var chatId = await OpenChatAsync();
        (await MutateAsync(chatId, "disableComponent")).EnsureSuccessStatusCode();
        (await BotSendsAsync("I should stay quiet", reference: "reply-rejected")).Dispose();

        // A later accepted reply in another chat is reported; by then the rejected one would have been too.
        await CustomerSaysAsync("hi", from: "+31687654321");
        (await BotSendsAsync("Hello", to: "+31687654321", reference: "reply-accepted")).EnsureSuccessStatusCode();
        await WaitForReportsAsync("reply-accepted", 2);

        Assert.Empty(Reports("reply-rejected"));
    }

    [Fact]
    public async Task A_failing_status_endpoint_is_retried_then_reported_and_the_send_is_not_held_up()
    {
        var chatId = await OpenChatAsync();
        App.StatusAnswers.Enqueue(500);
        App.StatusAnswers.Enqueue(404);

        var watch = Stopwatch.StartNew();
        using var send = await BotSendsAsync("Welcome!", reference: "reply-retried");
        watch.Stop();

        Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"the send took {watch.Elapsed}");
        await WaitForReportsAsync("reply-retried", 4);
        var codes = Reports("reply-retried").Select(r => r["messages"]!["msg"]!["status"]!["code"]!.GetValue<int>()).ToList();
        Assert.Equal([2, 2, 2, 4], codes);
        var stats = await GetAsync("/simulator/stats");
        Assert.Equal(2, stats["statusReportFailures"]!.GetValue<int>());
        Assert.Equal(2, stats["statusReports"]!.GetValue<int>());
        var timeline = (await GetAsync($"/simulator/chats/{chatId}"))["timeline"]!.AsArray().Where(t => t!["kind"]!.GetValue<string>() == "status").ToList();
        Assert.Equal([500, 404, 200, 200], timeline.Select(t => t!["status"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_status_endpoint_that_keeps_failing_is_given_up_after_the_bounded_attempts()
    {
        var chatId = await OpenChatAsync();
        for (var i = 0; i < 3; i++)
        {
            App.StatusAnswers.Enqueue(503);
        }

        (await BotSendsAsync("Welcome!", reference: "reply-lost")).EnsureSuccessStatusCode();
        await WaitForReportsAsync("reply-lost", 4);

        // Three attempts for "delivered" (the default budget), then "read" is still reported.
        Assert.Equal([2, 2, 2, 4], Reports("reply-lost").Select(r => r["messages"]!["msg"]!["status"]!["code"]!.GetValue<int>()));
        var summaries = (await GetAsync($"/simulator/chats/{chatId}"))["timeline"]!.AsArray()
            .Where(t => t!["kind"]!.GetValue<string>() == "status").Select(t => t!["summary"]!.GetValue<string>()).ToList();
        Assert.Contains(summaries, s => s.Contains("given up after 3 attempt(s)", StringComparison.Ordinal));
    }
}

public sealed class StatusReportsOffTests : SimulatorTest
{
    protected override void Configure(SimulatorOptions options) => options.StatusReports = false;

    [Fact]
    public async Task No_report_is_posted_when_status_reports_are_off()
    {
        var chatId = await OpenChatAsync();

        (await BotSendsAsync("Welcome!")).EnsureSuccessStatusCode();
        await Task.Delay(TimeSpan.FromMilliseconds(400), Cancel); // reports would come after 10 ms (the fixture's delay)

        Assert.Empty(App.StatusReports);
        Assert.Equal(0, (await GetAsync("/simulator/stats"))["statusReports"]!.GetValue<int>());
        var bot = (await GetAsync($"/simulator/chats/{chatId}"))["transcript"]!.AsArray().Single(e => e!["sender"]!.GetValue<string>() == "bot")!;
        Assert.Equal("accepted", bot["deliveryStatus"]!.GetValue<string>());
    }
}

public sealed class StatusReportsWithoutReadTests : SimulatorTest
{
    protected override void Configure(SimulatorOptions options) => options.StatusReportRead = false;

    [Fact]
    public async Task Only_delivered_is_reported_when_read_reports_are_off()
    {
        await OpenChatAsync();

        (await BotSendsAsync("Welcome!", reference: "reply-sms")).EnsureSuccessStatusCode();
        await EventuallyAsync(() => Task.FromResult(!App.StatusReports.IsEmpty), "the delivered report");
        await Task.Delay(TimeSpan.FromMilliseconds(300), Cancel); // "read" would follow 10 ms later

        var report = JsonNode.Parse(Assert.Single(App.StatusReports).Body)!;
        Assert.Equal(2, report["messages"]!["msg"]!["status"]!["code"]!.GetValue<int>());
    }
}
