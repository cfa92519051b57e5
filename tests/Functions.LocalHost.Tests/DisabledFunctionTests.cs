using System.Net;
using System.Text.Json;

namespace Functions.LocalHost.Tests;

/// <summary>
/// <c>AzureWebJobs.&lt;name&gt;.Disabled</c>, as the Functions host reads it: a disabled queue trigger does not take its
/// queue's messages and a disabled HTTP function is not routed, while the other functions run as usual.
/// </summary>
public sealed class DisabledFunctionTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_disabled_function_does_not_run_and_the_others_do()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct, settings: new Dictionary<string, string>
        {
            ["AzureWebJobs.Record.Disabled"] = "true",
            ["AzureWebJobs__Ping__Disabled"] = "1", // the form an environment variable can take
            ["AzureWebJobs.Echo.Disabled"] = "false",
        });
        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };

        await harness.SendAsync(harness.WorkQueue, "for the disabled Record", ct);
        await harness.SendAsync(harness.SdkQueue, "for RecordSdkMessage", ct);

        // The enabled queue function runs; once it has, the disabled one's message is still there, untouched.
        var processed = await Eventually.GetAsync(() => harness.DrainAsync(harness.ProcessedQueue, ct), m => m.Count > 0, Timeout, "RecordSdkMessage's output");
        var record = JsonSerializer.Deserialize<ProcessedRecord>(Assert.Single(processed))!;
        Assert.Equal("for RecordSdkMessage", record.Message);
        Assert.Equal(["for the disabled Record"], await harness.PeekAsync(harness.WorkQueue, ct));

        using var ping = await client.GetAsync("api/Ping", ct);
        Assert.Equal(HttpStatusCode.NotFound, ping.StatusCode);
        using var echo = await client.PostAsync("api/echo/bob", new StringContent("hi"), ct);
        Assert.Equal(HttpStatusCode.OK, echo.StatusCode);
        Assert.Contains(harness.Logs.Lines, l => l.Contains("Record: disabled by the app setting AzureWebJobs.Record.Disabled", StringComparison.Ordinal));
    }
}
