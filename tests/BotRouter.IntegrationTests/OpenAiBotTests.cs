using System.Text.Json.Nodes;
using BotRouter.Core.Chats;
using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;
using BotRouter.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace BotRouter.IntegrationTests;

/// <summary>
/// <c>Bot__Kind=openai</c> end to end: real Azurite, a real HTTP fake of the Bot Router and a real HTTP fake of an
/// OpenAI-compatible server, driven through Microsoft.Extensions.AI and the OpenAI client.
/// </summary>
public sealed class OpenAiBotTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string ApiKey = "sk-test-4f1d9c0b7a2e";
    private readonly FakeLogCollector logs = new();
    private OpenAiFake model = null!;
    private AppHarness app = null!;

    public async ValueTask InitializeAsync()
    {
        model = await OpenAiFake.StartAsync();
        app = await StartAppAsync();
    }

    private Task<AppHarness> StartAppAsync(string memoryChars = "12000") =>
        AppHarness.StartAsync(
            azurite,
            new Dictionary<string, string?>
            {
                ["Bot:Kind"] = "openai",
                ["Bot:Endpoint"] = model.Endpoint,
                ["Bot:Model"] = "test-model",
                ["Bot:ApiKey"] = ApiKey,
                ["Bot:Instructions"] = "You are the Acme helpdesk.",
                ["Bot:MemoryTurns"] = "3",
                ["Bot:MemoryChars"] = memoryChars,
            },
            logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        await model.DisposeAsync();
    }

    private Task Say(string chatId, string text, string from = "+31612345678") => app.SayAsync(chatId, app.Webhook(chatId, text, from: from));

    private List<RecordedCall> CallsFor(string chatId, string from = "+31612345678") =>
        app.Router.Calls.Where(c => c.Status == 200 && (c.Body.Contains(chatId, StringComparison.Ordinal) || c.Path.Contains(chatId, StringComparison.Ordinal) || c.Body.Contains(from, StringComparison.Ordinal))).ToList();

    private static string Text(RecordedCall call) => call.Json!["messages"]!["msg"]![0]!["body"]!["content"]!.GetValue<string>();

    [Fact]
    public async Task The_model_gets_the_instructions_and_the_message_and_its_answer_is_sent()
    {
        var chatId = AppHarness.NewChatId();
        model.Says("Hello! How can I help?");

        await Say(chatId, "Hi there");

        var request = Assert.Single(model.Requests);
        Assert.Equal($"Bearer {ApiKey}", request.Authorization);
        Assert.Equal("test-model", request.Body["model"]!.GetValue<string>());
        Assert.Equal(["system: You are the Acme helpdesk.", "user: Hi there"], request.Messages);
        Assert.Equal("handover_to_agent", request.Body["tools"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal(["Hello! How can I help?"], CallsFor(chatId).Select(Text));
    }

    [Fact]
    public async Task A_handover_tool_call_sends_the_notice_then_disables_the_bot_with_team_and_reason()
    {
        var chatId = AppHarness.NewChatId();
        model.CallsTool("handover_to_agent", new JsonObject { ["team"] = "billing", ["reason"] = "refund request" }, "I'll get a colleague.");

        await Say(chatId, "I want my money back");

        var calls = CallsFor(chatId);
        Assert.Equal(2, calls.Count);
        Assert.Equal("I'll get a colleague.", Text(calls[0]));
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$$"""{"ChatId":"{{{chatId}}}","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}],"Context":{"team":"billing","reason":"refund request"}}"""),
            calls[1].Json));
        var state = await app.Services.GetRequiredService<IChatStore>().GetAsync(Core.Chats.ChatId.Parse(chatId), CancellationToken.None);
        Assert.Equal(RoutingMode.Agent, state!.Mode);
    }

    [Fact]
    public async Task A_handover_without_arguments_or_text_sends_only_the_disable_mutation_without_context()
    {
        var chatId = AppHarness.NewChatId();
        model.CallsTool("handover_to_agent", new JsonObject { ["team"] = "", ["reason"] = "   " });

        await Say(chatId, "human please");

        var call = Assert.Single(CallsFor(chatId));
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$"""{"ChatId":"{{chatId}}","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}]}"""),
            call.Json));
    }

    [Fact]
    public async Task Each_chat_has_its_own_memory_and_nothing_leaks_between_chats()
    {
        var ann = AppHarness.NewChatId();
        var bob = AppHarness.NewChatId();

        await Say(ann, "My name is Ann", from: "+31611110001");
        await Say(bob, "What is my name?", from: "+31611110002");
        await Say(ann, "What is my name?", from: "+31611110001");

        var requests = model.Requests.ToList();
        Assert.Equal(["system: You are the Acme helpdesk.", "user: What is my name?"], requests[1].Messages);
        Assert.Equal(
            ["system: You are the Acme helpdesk.", "user: My name is Ann", "assistant: You said: My name is Ann", "user: What is my name?"],
            requests[2].Messages);
    }

    [Fact]
    public async Task The_memory_keeps_only_the_newest_turns()
    {
        var chatId = AppHarness.NewChatId();

        foreach (var text in new[] { "one", "two", "three", "four", "five" })
        {
            await Say(chatId, text);
        }

        var last = model.Requests.Last().Messages;
        Assert.Equal(
            ["system: You are the Acme helpdesk.", "user: two", "assistant: You said: two", "user: three", "assistant: You said: three", "user: four", "assistant: You said: four", "user: five"],
            last);
        var state = await app.Services.GetRequiredService<IChatStore>().GetAsync(Core.Chats.ChatId.Parse(chatId), CancellationToken.None);
        Assert.InRange(state!.BotState!.Length, 1, 12_000);
    }

    [Fact]
    public async Task A_memory_far_larger_than_a_table_row_is_kept_whole_between_turns()
    {
        await app.DisposeAsync();
        app = await StartAppAsync(memoryChars: "100000");
        var chatId = AppHarness.NewChatId();
        var first = "first " + new string('a', 12_000);
        var second = "second " + new string('b', 12_000);

        await Say(chatId, first);
        await Say(chatId, second);
        await Say(chatId, "Do you remember both?");

        Assert.Equal(
            ["system: You are the Acme helpdesk.", $"user: {first}", $"assistant: You said: {first}", $"user: {second}", $"assistant: You said: {second}", "user: Do you remember both?"],
            model.Requests.Last().Messages);
        var state = await app.Services.GetRequiredService<IChatStore>().GetAsync(Core.Chats.ChatId.Parse(chatId), CancellationToken.None);
        Assert.InRange(state!.BotState!.Length, 48_000, 100_000);
    }

    [Fact]
    public async Task Reset_forgets_the_chats_memory()
    {
        var chatId = AppHarness.NewChatId();
        await Say(chatId, "My name is Ann");

        var reset = await app.ExecuteAsync(r => app.Function<ChatOperations>().Reset(r, chatId, CancellationToken.None));
        Assert.Equal(202, reset.Status);
        await app.DrainAsync(chatId);
        await Say(chatId, "Who am I?");

        Assert.Equal(["system: You are the Acme helpdesk.", "user: Who am I?"], model.Requests.Last().Messages);
    }

    [Fact]
    public async Task A_model_failing_twice_then_answering_gives_one_answer()
    {
        var chatId = AppHarness.NewChatId();
        model.Fails(500, times: 2).Says("Back online.");

        await Say(chatId, "hello?");

        Assert.Equal(3, model.Requests.Count);
        Assert.Equal(["Back online."], CallsFor(chatId).Select(Text));
    }

    [Fact]
    public async Task In_agent_mode_the_model_is_never_called()
    {
        var chatId = AppHarness.NewChatId();
        var takeOver = await app.ExecuteAsync(r => app.Function<ChatOperations>().TakeOver(r, chatId, CancellationToken.None));
        Assert.Equal(202, takeOver.Status);
        await app.DrainAsync(chatId);

        await Say(chatId, "anyone?");

        Assert.Empty(model.Requests);
    }

    [Fact]
    public async Task The_api_key_never_appears_in_logs()
    {
        var chatId = AppHarness.NewChatId();
        model.Fails(503).Says("fine");

        await Say(chatId, "hello");

        Assert.Single(CallsFor(chatId));
        var snapshot = logs.GetSnapshot();
        Assert.NotEmpty(snapshot);
        foreach (var text in snapshot.Select(l => $"{l.Message} {l.Exception} {string.Join(' ', l.StructuredState?.Select(kv => kv.Value) ?? [])}"))
        {
            Assert.DoesNotContain(ApiKey, text, StringComparison.Ordinal);
        }
    }
}

/// <summary>A bad setting of the chosen bot kind stops start-up with one line naming it.</summary>
public sealed class BotSettingsStartupTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData("openai", "Missing required setting Bot__Endpoint")]
    [InlineData("rest", "Missing required setting Bot__Url")]
    [InlineData("chatgpt", "Setting Bot__Kind must be one of flows, rest, openai, not 'chatgpt'.")]
    public async Task Start_up_fails_naming_the_setting(string kind, string expected)
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var app = await AppHarness.StartAsync(azurite, new Dictionary<string, string?> { ["Bot:Kind"] = kind, ["Bot:Model"] = "m" });
        });

        Assert.StartsWith(expected, Assert.Single(failure.Failures), StringComparison.Ordinal);
    }
}
