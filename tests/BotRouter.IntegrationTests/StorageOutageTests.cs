using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;

namespace BotRouter.IntegrationTests;

/// <summary>Storage goes away and comes back: the webhook refuses with 503 (CM retries), health says why, nothing accepted is lost.</summary>
public sealed class StorageOutageTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TcpProxy blob = null!, queue = null!, table = null!;
    private AppHarness app = null!;

    public async ValueTask InitializeAsync()
    {
        (blob, queue, table) = (new TcpProxy(azurite.Ports.Blob), new TcpProxy(azurite.Ports.Queue), new TcpProxy(azurite.Ports.Table));
        app = await AppHarness.StartAsync(AzuriteFixture.ConnectionStringFor((blob.Port, queue.Port, table.Port)));
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        await Task.WhenAll(blob.DisposeAsync().AsTask(), queue.DisposeAsync().AsTask(), table.DisposeAsync().AsTask());
    }

    private void Cut()
    {
        blob.Cut();
        queue.Cut();
        table.Cut();
    }

    private void Restore()
    {
        blob.Start();
        queue.Start();
        table.Start();
    }

    [Fact]
    public async Task Without_storage_the_webhook_answers_503_and_health_names_it_then_everything_resumes_with_nothing_lost()
    {
        var before = AppHarness.NewChatId();
        var accepted = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(before, "hello"));
        Assert.Equal(200, accepted.Status);

        Cut();
        var during = AppHarness.NewChatId();
        var refused = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(during, "hello"));
        var health = await app.ExecuteAsync(r => app.Function<Operations>().Health(r, CancellationToken.None));
        await Assert.ThrowsAnyAsync<Exception>(() => app.DrainAsync(before));

        Assert.Equal(503, refused.Status);
        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.Equal(503, health.Status);
        Assert.StartsWith("unavailable", health.Json!["dependencies"]!["queues"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("unavailable", health.Json!["dependencies"]!["tables"]!.GetValue<string>(), StringComparison.Ordinal);

        Restore();
        var retried = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(during, "hello"));
        Assert.Equal(200, retried.Status);
        await app.DrainAsync(before);
        await app.DrainAsync(during);

        Assert.Equal(2, app.Router.To("/bmproxy/").Count);
        Assert.Equal(200, (await app.ExecuteAsync(r => app.Function<Operations>().Health(r, CancellationToken.None))).Status);
    }
}
