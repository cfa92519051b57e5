using System.Net;
using System.Text;
using System.Text.Json;

namespace Functions.LocalHost.Tests;

public sealed class HttpTriggerTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Http_function_answers_with_its_status_headers_and_body()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };

        using var request = new HttpRequestMessage(HttpMethod.Post, "api/echo/alice?status=201")
        {
            Content = new StringContent("hello from the test", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Add("x-test", "header-value");
        using var response = await client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("alice|hello from the test", await response.Content.ReadAsStringAsync(ct));
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("alice", Assert.Single(response.Headers.GetValues("x-echo-name")));
        Assert.Equal("POST", Assert.Single(response.Headers.GetValues("x-echo-method")));
        Assert.Equal("header-value", Assert.Single(response.Headers.GetValues("x-echo-test")));

        // A large chunked body (no Content-Length) streams through both ways.
        var big = new string('x', 1_000_000);
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "api/echo/big")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))),
        };
        chunked.Headers.TransferEncodingChunked = true;
        using var bigResponse = await client.SendAsync(chunked, ct);
        Assert.Equal(HttpStatusCode.OK, bigResponse.StatusCode);
        Assert.Equal("big|" + big, await bigResponse.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task Route_parameters_bind_and_constraints_apply()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };

        using var withOptional = await client.GetAsync(new Uri("api/items/42/widget", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, withOptional.StatusCode);
        using (var json = JsonDocument.Parse(await withOptional.Content.ReadAsStringAsync(ct)))
        {
            Assert.Equal(42, json.RootElement.GetProperty("id").GetInt32());
            Assert.Equal("widget", json.RootElement.GetProperty("kind").GetString());
        }

        using var withoutOptional = await client.GetAsync(new Uri("api/items/7", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, withoutOptional.StatusCode);
        using (var json = JsonDocument.Parse(await withoutOptional.Content.ReadAsStringAsync(ct)))
        {
            Assert.Equal(7, json.RootElement.GetProperty("id").GetInt32());
        }

        // {id:int} does not match "abc", so there is no such route.
        using var notAnInt = await client.GetAsync(new Uri("api/items/abc", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.NotFound, notAnInt.StatusCode);
    }

    [Fact]
    public async Task Unknown_routes_are_404()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };

        using var unknown = await client.GetAsync(new Uri("api/does-not-exist", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // Without the route prefix the function routes do not exist either.
        using var noPrefix = await client.GetAsync(new Uri("Ping", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.NotFound, noPrefix.StatusCode);
    }

    [Fact]
    public async Task A_throwing_http_function_is_a_500_and_the_host_keeps_serving()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        using var client = new HttpClient { BaseAddress = harness.Host.HttpBaseAddress };
        var failures = new List<InvocationCompletedEventArgs>();
        harness.Host.InvocationCompleted += (_, e) =>
        {
            lock (failures)
            {
                if (!e.Succeeded)
                {
                    failures.Add(e);
                }
            }
        };

        using var thrown = await client.GetAsync(new Uri("api/Throws", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.InternalServerError, thrown.StatusCode);

        await Eventually.TrueAsync(() => { lock (failures) { return failures.Count == 1; } }, Timeout, "the failed invocation to be reported");
        Assert.Contains("boom from the HTTP function", failures[0].Error, StringComparison.Ordinal);

        using var ping = await client.GetAsync(new Uri("api/Ping", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal(1, harness.Host.WorkerStarts);
    }
}
