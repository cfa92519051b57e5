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
