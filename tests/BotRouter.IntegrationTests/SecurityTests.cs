using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;

namespace BotRouter.IntegrationTests;

/// <summary>Secrets stay secret: every log line of a full conversation, at the most verbose level, is checked.</summary>
public sealed class SecurityTests(AzuriteFixture azurite)
{
    private const string Secret = "webhook-secret-7d1c";

    [Fact]
    public async Task The_product_token_and_the_shared_secret_never_appear_in_logs_or_answers()
    {
        var collector = new FakeLogCollector();
        await using var app = await AppHarness.StartAsync(
            azurite,
            new Dictionary<string, string?> { ["Webhook:SharedSecret"] = Secret },
            logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(collector)));
        var chatId = AppHarness.NewChatId();
        var headers = new Dictionary<string, string> { [Webhook.SecretHeader] = Secret };

        var refused = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(chatId, "hi"), new Dictionary<string, string> { [Webhook.SecretHeader] = "guess" });
        var accepted = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(chatId, "agent"), headers);
        await app.DrainAsync(chatId);

        Assert.Equal((401, 200), (refused.Status, accepted.Status));
        Assert.Equal(2, app.Router.Calls.Count);
        var logs = collector.GetSnapshot();
        Assert.NotEmpty(logs);
        foreach (var text in logs.Select(l => $"{l.Message} {l.Exception} {string.Join(' ', l.StructuredState?.Select(kv => kv.Value) ?? [])}").Append(refused.Body).Append(accepted.Body))
        {
            Assert.DoesNotContain(AppHarness.ProductToken, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain("+31612345678", text, StringComparison.Ordinal);
        }
    }
}
