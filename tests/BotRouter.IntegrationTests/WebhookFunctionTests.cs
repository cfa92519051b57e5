using Azure.Data.Tables;
using BotRouter.Azure;
using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BotRouter.IntegrationTests;

/// <summary>The Webhook function class called directly, on real Azurite.</summary>
public sealed class WebhookFunctionTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private AppHarness app = null!;

    public async ValueTask InitializeAsync() => app = await AppHarness.StartAsync(azurite, new Dictionary<string, string?> { ["Webhook:SharedSecret"] = "s3cret" });

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private Task<HttpAnswer> Post(string body, string? secret = "s3cret") =>
        app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), body,
            secret is null ? null : new Dictionary<string, string> { [Webhook.SecretHeader] = secret });

    [Fact]
    public async Task A_valid_webhook_is_queued_and_answered_200()
    {
        var chatId = AppHarness.NewChatId();

        var answer = await Post(app.Webhook(chatId, "hi"));

        Assert.Equal(200, answer.Status);
        Assert.Equal(chatId, answer.Problem("chatId"));
        Assert.Equal("queued", answer.Problem("status"));
        var chats = app.Services.GetRequiredService<TableServiceClient>().GetTableClient(StorageNames.ChatsTable);
        var rows = chats.QueryAsync<TableEntity>(e => e.PartitionKey == chatId, cancellationToken: TestContext.Current.CancellationToken);
        var keys = new List<string>();
        await foreach (var row in rows)
        {
            keys.Add(row.RowKey);
        }

        Assert.Equal(2, keys.Count);
        Assert.Contains(keys, k => k.StartsWith("c-in-", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith("d-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_json_is_a_400_problem()
    {
        var answer = await Post("{\"from\": ");

        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal("Invalid JSON", answer.Problem("title"));
    }

    [Fact]
    public async Task A_missing_chat_id_is_a_400_problem()
    {
        var body = app.Webhook("x", "hi").Replace("\"chatId\":\"x\",", string.Empty, StringComparison.Ordinal);

        var answer = await Post(body);

        Assert.Equal(400, answer.Status);
        Assert.Equal("Invalid chatId", answer.Problem("title"));
    }

    [Fact]
    public async Task A_chat_id_that_is_not_a_guid_is_a_400_problem()
    {
        var answer = await Post(app.Webhook("not-a-guid", "hi"));

        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task Another_router_account_is_refused()
    {
        var answer = await Post(app.Webhook(AppHarness.NewChatId(), "hi", accountId: Guid.NewGuid().ToString()));

        Assert.Equal(400, answer.Status);
        Assert.Equal("Wrong accountId", answer.Problem("title"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    [InlineData("s3cret ")]
    public async Task A_missing_or_wrong_secret_is_a_401_problem(string? secret)
    {
        var answer = await Post(app.Webhook(AppHarness.NewChatId(), "hi"), secret);

        Assert.Equal(401, answer.Status);
        Assert.DoesNotContain("s3cret", answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_one_mebibyte_is_a_413_problem()
    {
        var body = app.Webhook(AppHarness.NewChatId(), new string('x', 1024 * 1024));

        var answer = await Post(body);

        Assert.Equal(413, answer.Status);
    }
}
