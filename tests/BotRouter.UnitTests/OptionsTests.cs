using BotRouter.Core.Configuration;

namespace BotRouter.UnitTests;

public class OptionsTests
{
    private readonly BotRouterOptionsValidator validator = new();

    [Fact]
    public void Missing_account_id_names_the_setting()
    {
        var result = validator.Validate(null, new BotRouterOptions { ProductToken = "t" });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("BotRouter__AccountId", StringComparison.Ordinal));
        Assert.Single(result.Failures!);
    }

    [Fact]
    public void Missing_product_token_names_the_setting()
    {
        var result = validator.Validate(null, new BotRouterOptions { AccountId = Guid.NewGuid().ToString() });

        Assert.Equal(["Missing required setting BotRouter__ProductToken (the CM product token sent as X-CM-PRODUCTTOKEN)."], result.Failures);
    }

    [Fact]
    public void Account_id_must_be_a_guid()
    {
        var result = validator.Validate(null, new BotRouterOptions { AccountId = "acme", ProductToken = "t" });

        Assert.Equal(["Setting BotRouter__AccountId must be a GUID."], result.Failures);
    }

    [Fact]
    public void Complete_settings_pass_and_have_the_contract_defaults()
    {
        var options = new BotRouterOptions { AccountId = Guid.NewGuid().ToString(), ProductToken = "t" };

        Assert.True(validator.Validate(null, options).Succeeded);
        Assert.Equal(new Uri("https://api.cm.com/"), options.BaseUrl);
        Assert.Equal("conversational/bmproxy/v1/accounts/{accountId}", options.SendPath);
        Assert.Equal("conversational/control/v1/accounts/{accountId}/sessions/positionrequests", options.PositionPath);
        Assert.Equal(("CmBot", "CustomerContact"), (options.BotComponentId, options.AgentComponentId));
    }

    [Fact]
    public void The_product_token_never_shows_in_the_options_text()
    {
        var options = new BotRouterOptions { AccountId = Guid.NewGuid().ToString(), ProductToken = "secret-token-123" };

        Assert.DoesNotContain("secret-token-123", options.ToString(), StringComparison.Ordinal);
    }
}
