using System.Text;
using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;
using CsCheck;

namespace BotRouter.IntegrationTests;

/// <summary>Property tests: whatever arrives, the answer is a problem (never a 500), and nothing is queued.</summary>
public sealed class BadInputTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private AppHarness app = null!;

    public async ValueTask InitializeAsync() => app = await AppHarness.StartAsync(azurite);

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private static readonly Gen<string> JsonLike = Gen.OneOf(
        Gen.String,
        Gen.Const("{\"conversationalRouter\":{\"chatId\":"),
        Gen.Select(Gen.String[0, 40], Gen.String[0, 40], (a, b) => $"{{\"{a}\":\"{b}\"}}"),
        Gen.Select(Gen.Int, Gen.Bool, (n, b) => $"{{\"conversationalRouter\":{{\"chatId\":{n},\"accountId\":{(b ? "true" : "null")}}},\"from\":[1,2]}}"),
        Gen.Select(Gen.String[0, 10], s => $"{{\"conversationalRouter\":{{\"chatId\":\"{Guid.NewGuid()}\",\"accountId\":\"{Guid.NewGuid()}\"}},\"reference\":\"{s}\"}}"),
        Gen.Const("[]"), Gen.Const("null"), Gen.Const("\"text\""), Gen.Const("{\"message\":{\"text\":123}}"));

    [Fact]
    public async Task Arbitrary_bytes_to_the_webhook_are_refused_with_a_problem_never_a_500_or_a_200()
    {
        await Gen.Byte.Array[0, 3000].SampleAsync(async bytes =>
        {
            var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), Encoding.Latin1.GetString(bytes));
            return answer.Status == 400 && answer.ContentType == "application/problem+json";
        }, iter: 150);
    }

    [Fact]
    public async Task Arbitrary_json_to_the_webhook_is_refused_with_a_problem_never_a_500_or_a_200()
    {
        await JsonLike.SampleAsync(async json =>
        {
            var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), json);
            return answer.Status == 400 && answer.ContentType == "application/problem+json" && !answer.Body.Contains("   at ", StringComparison.Ordinal);
        }, iter: 200);
    }

    [Fact]
    public async Task Arbitrary_operator_input_is_refused_with_a_problem_never_a_500()
    {
        var gen = Gen.Select(Gen.OneOf(Gen.String[0, 50], Gen.Const("00000000-0000-0000-0000-00000000000g")), JsonLike);
        await gen.SampleAsync(async t =>
        {
            var (chatId, body) = t;
            var handBack = await app.ExecuteAsync(r => app.Function<ChatOperations>().HandBack(r, chatId, CancellationToken.None), body);
            var handOver = await app.ExecuteAsync(r => app.Function<ChatOperations>().HandOver(r, chatId, CancellationToken.None), body);
            var get = await app.ExecuteAsync(r => app.Function<ChatOperations>().Get(r, chatId, CancellationToken.None));
            return handBack.Status == 400 && handOver.Status == 400 && get.Status == 400;
        }, iter: 100);
    }

    [Fact]
    public async Task Operator_bodies_for_a_valid_chat_are_either_queued_or_a_400_problem()
    {
        var chatId = AppHarness.NewChatId();
        await Gen.OneOf(JsonLike, Gen.Const("{\"flowId\":\"billing\",\"stepId\":\"topic\"}")).SampleAsync(async body =>
        {
            var answer = await app.ExecuteAsync(r => app.Function<ChatOperations>().HandBack(r, chatId, CancellationToken.None), body);
            return answer.Status is 202 or 400 && (answer.Status == 202 || answer.ContentType == "application/problem+json");
        }, iter: 100);
    }
}
