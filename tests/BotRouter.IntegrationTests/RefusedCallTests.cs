using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;

namespace BotRouter.IntegrationTests;

/// <summary>A call the Bot Router refuses for good is made once per chat, and not at all once every chat is refused.</summary>
public sealed class RefusedCallTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private AppHarness app = null!;

    public async ValueTask InitializeAsync() => app = await AppHarness.StartAsync(azurite);

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private async Task SayAsync(string chatId, string text)
    {
        var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(chatId, text));
        Assert.Equal(200, answer.Status);
        await app.DrainAsync(chatId);
    }

    private int Calls(string pathPart) => app.Router.Calls.Count(c => c.Path.Contains(pathPart, StringComparison.Ordinal));

    [Fact]
    public async Task A_wrong_mutation_path_is_tried_a_few_times_then_paused_and_health_says_so()
    {
        app.Router.Refuse("/mutationrequests", 404);
        var chats = Enumerable.Range(0, 9).Select(_ => AppHarness.NewChatId()).ToList();

        foreach (var chat in chats)
        {
            await SayAsync(chat, "agent");
            await SayAsync(chat, "are you still there?");
            await app.DrainAsync(chat);
        }

        // Five refusals in a row (Processing__RefusalsBeforePause) pause mutations for every chat.
        Assert.Equal(5, Calls("/mutationrequests"));
        var health = await app.ExecuteAsync(r => app.Function<Operations>().Health(r, CancellationToken.None));
        Assert.Equal(200, health.Status);
        Assert.Equal("Degraded", health.Json!["status"]!.GetValue<string>());
        Assert.Contains("mutation calls paused", health.Json!["dependencies"]!["router"]!.GetValue<string>(), StringComparison.Ordinal);

        foreach (var chat in chats)
        {
            var listed = await app.ExecuteAsync(r => app.Function<Operations>().ListPoison(r, CancellationToken.None), headers: null, query: $"chatId={chat}");
            var messages = listed.Json!["messages"]!.AsArray();
            Assert.Single(messages);
            Assert.Contains("mutation", messages[0]!["lastError"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Every_poisoned_chat_can_be_found_by_paging_and_by_chat_and_replayed()
    {
        app.Router.Refuse("/bmproxy/", 400);
        var chats = Enumerable.Range(0, 40).Select(_ => AppHarness.NewChatId()).ToHashSet();
        foreach (var chat in chats)
        {
            await SayAsync(chat, "hi");
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var query = "pageSize=10" + (token is null ? string.Empty : $"&continuationToken={Uri.EscapeDataString(token)}");
            var page = await app.ExecuteAsync(r => app.Function<Operations>().ListPoison(r, CancellationToken.None), headers: null, query: query);
            Assert.Equal(200, page.Status);
            seen.AddRange(page.Json!["messages"]!.AsArray().Select(m => m!["chatId"]?.GetValue<string>()).OfType<string>().Where(chats.Contains));
            token = page.Json!["continuationToken"]?.GetValue<string>();
            pages++;
        }
        while (token is not null && pages < 100);

        Assert.Equal(chats.Order(), seen.Order());
        Assert.True(pages >= 4, $"{pages} pages");

        var last = chats.Last();
        var one = await app.ExecuteAsync(r => app.Function<Operations>().ListPoison(r, CancellationToken.None), headers: null, query: $"chatId={last}");
        var id = Assert.Single(one.Json!["messages"]!.AsArray())!["id"]!.GetValue<string>();
        var replay = await app.ExecuteAsync(r => app.Function<Operations>().ReplayPoison(r, CancellationToken.None), $$"""{"ids":["{{id}}"]}""");
        Assert.Equal(1, replay.Json!["replayed"]!.GetValue<int>());
        var after = await app.ExecuteAsync(r => app.Function<Operations>().ListPoison(r, CancellationToken.None), headers: null, query: $"chatId={last}");
        Assert.Empty(after.Json!["messages"]!.AsArray());
    }

    [Fact]
    public async Task A_continuation_token_the_app_did_not_hand_out_is_a_400_problem()
    {
        var answer = await app.ExecuteAsync(r => app.Function<Operations>().ListPoison(r, CancellationToken.None), headers: null, query: "continuationToken=not-ours");

        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }
}
