using System.Text.Json.Nodes;

namespace BotRouter.Simulator.Tests;

/// <summary><c>GET /simulator/events</c>: the console's live updates.</summary>
public sealed class EventsTests : SimulatorTest
{
    [Fact]
    public async Task The_event_stream_says_hello_then_reports_a_change_when_a_customer_writes()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/simulator/events");
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancel);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancel));

        Assert.Contains("event: hello", await ReadEventAsync(reader), StringComparison.Ordinal);
        await CustomerSaysAsync("hi");
        Assert.Contains("event: change", await ReadEventAsync(reader), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_console_page_has_the_customer_and_agent_panes()
    {
        var html = await Http.GetStringAsync("/", Cancel);
        Assert.Contains("data-testid=\"customer-pane\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"agent-pane\"", html, StringComparison.Ordinal);
        Assert.Contains("/simulator/events", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Media_in_a_bot_reply_reach_the_transcript_for_the_console_to_link()
    {
        var chatId = await OpenChatAsync();
        var message = new JsonObject
        {
            ["from"] = BusinessNumber,
            ["to"] = new JsonArray(new JsonObject { ["number"] = Customer }),
            ["body"] = new JsonObject { ["type"] = "auto", ["content"] = "Here is your invoice" },
            ["allowedChannels"] = new JsonArray("WhatsApp"),
            ["reference"] = "reply-media",
            ["richContent"] = new JsonObject
            {
                ["conversation"] = new JsonArray(new JsonObject
                {
                    ["media"] = new JsonObject { ["mediaName"] = "invoice.pdf", ["mediaUri"] = "https://example.com/invoice.pdf", ["mimeType"] = "application/pdf" },
                }),
            },
        };
        var body = new JsonObject { ["messages"] = new JsonObject { ["msg"] = new JsonArray(message) } };
        using var sent = await RouterPostAsync("/conversational/bmproxy/v1/accounts/{accountId}", body.ToJsonString());
        sent.EnsureSuccessStatusCode();

        var detail = await GetAsync($"/simulator/chats/{chatId}");
        var reply = detail["transcript"]!.AsArray().Last()!;
        Assert.Equal("Here is your invoice", reply["text"]!.GetValue<string>());
        Assert.Equal("https://example.com/invoice.pdf", reply["media"]![0]!["mediaUri"]!.GetValue<string>());
        Assert.Equal("invoice.pdf", reply["media"]![0]!["mediaName"]!.GetValue<string>());
    }

    private static async Task<string> ReadEventAsync(StreamReader reader)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var lines = new List<string>();
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0 && lines.Count > 0)
            {
                break;
            }

            if (line.Length > 0 && !line.StartsWith(':'))
            {
                lines.Add(line);
            }
        }

        return string.Join('\n', lines);
    }
}
