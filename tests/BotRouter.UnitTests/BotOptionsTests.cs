using BotRouter.Core.Bots;
using BotRouter.Core.Configuration;

namespace BotRouter.UnitTests;

public class BotOptionsTests
{
    private readonly BotOptionsValidator validator = new();

    [Fact]
    public void The_defaults_are_the_flow_bot_and_pass()
    {
        var options = new BotOptions();

        Assert.Equal("flows", options.Kind);
        Assert.True(validator.Validate(null, options).Succeeded);
    }

    [Fact]
    public void An_unknown_kind_names_the_setting_and_the_choices()
    {
        var result = validator.Validate(null, new BotOptions { Kind = "dialogflow" });

        Assert.Equal(["Setting Bot__Kind must be one of flows, rest, openai, not 'dialogflow'."], result.Failures);
    }

    [Fact]
    public void A_rest_bot_needs_its_url()
    {
        var result = validator.Validate(null, new BotOptions { Kind = "rest" });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("Missing required setting Bot__Url", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rest_bot_url_must_be_absolute_http()
    {
        var result = validator.Validate(null, new BotOptions { Kind = "REST", Url = new Uri("webhooks/rest", UriKind.Relative) });

        Assert.Equal(["Setting Bot__Url must be an absolute http(s) URL."], result.Failures);
    }

    [Fact]
    public void An_openai_bot_needs_endpoint_and_model_but_no_key()
    {
        var missing = validator.Validate(null, new BotOptions { Kind = "openai" });
        var complete = validator.Validate(null, new BotOptions { Kind = "openai", Endpoint = new Uri("http://127.0.0.1:8080/v1"), Model = "llama" });

        Assert.Equal(2, missing.Failures!.Count());
        Assert.Contains(missing.Failures!, f => f.StartsWith("Missing required setting Bot__Endpoint", StringComparison.Ordinal));
        Assert.Contains(missing.Failures!, f => f.StartsWith("Missing required setting Bot__Model", StringComparison.Ordinal));
        Assert.True(complete.Succeeded);
    }

    [Fact]
    public void An_openai_bots_memory_may_take_up_to_the_state_ceiling()
    {
        BotOptions Memory(int chars) => new() { Kind = "openai", Endpoint = new Uri("http://127.0.0.1:8080/v1"), Model = "llama", MemoryChars = chars };

        Assert.True(validator.Validate(null, Memory(200_000)).Succeeded);
        Assert.True(validator.Validate(null, Memory(BotAnswer.MaxStateChars)).Succeeded);
        Assert.Equal(
            [$"Setting Bot__MemoryChars must be between 1000 and {BotAnswer.MaxStateChars}."],
            validator.Validate(null, Memory(BotAnswer.MaxStateChars + 1)).Failures);
    }

    [Fact]
    public void Settings_of_other_kinds_are_not_checked()
    {
        Assert.True(validator.Validate(null, new BotOptions { Kind = "rest", Url = new Uri("http://bot:5005/webhooks/rest/webhook"), MemoryTurns = 0 }).Succeeded);
    }

    [Fact]
    public void A_flows_file_that_does_not_load_fails_start_up_naming_the_setting()
    {
        var path = Path.Combine(Path.GetTempPath(), $"flows-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"handOver":{"keywords":[],"notice":"n"},"fallback":"f","flows":[]}""");
        try
        {
            var result = validator.Validate(null, new BotOptions { FlowsPath = path });

            var failure = Assert.Single(result.Failures!);
            Assert.StartsWith("Setting Bot__FlowsPath: ", failure, StringComparison.Ordinal);
            Assert.Contains("first flow must have a first step", failure, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_flows_file_fails_start_up_naming_the_setting()
    {
        var result = validator.Validate(null, new BotOptions { FlowsPath = "/nowhere/flows.json" });

        Assert.StartsWith("Setting Bot__FlowsPath: cannot read flows file /nowhere/flows.json", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void The_api_key_never_shows_in_the_options_text()
    {
        Assert.DoesNotContain("sk-secret", new BotOptions { Kind = "openai", ApiKey = "sk-secret" }.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_mutation_format_names_the_setting()
    {
        var result = new BotRouterOptionsValidator().Validate(null, new BotRouterOptions { AccountId = Guid.NewGuid().ToString(), ProductToken = "t", MutationFormat = "v2" });

        Assert.Equal(["Setting BotRouter__MutationFormat must be 'component' or 'rule', not 'v2'."], result.Failures);
    }

    [Fact]
    public void The_mutation_path_and_format_defaults_are_cms_documented_path_and_the_seeds_body()
    {
        var options = new BotRouterOptions();

        Assert.Equal("conversational/control/v1/accounts/{accountId}/chats/{chatId}/routing/mutationrequests", options.MutationPath);
        Assert.Equal("component", options.MutationFormat);
    }
}
