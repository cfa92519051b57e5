using Microsoft.Extensions.Configuration;

namespace BotRouter.Simulator.Tests;

public sealed class OptionsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Empty_simulator_settings_fall_back_to_the_app_settings()
    {
        var options = SimulatorOptions.FromConfiguration(Configuration(
            ("BotRouter:AccountId", "9b0c6f49-3f1e-4c1e-9a3c-5d7b2f1e0a11"),
            ("BotRouter:ProductToken", "app-token"),
            ("Webhook:SharedSecret", "app-secret")));

        Assert.Equal("9b0c6f49-3f1e-4c1e-9a3c-5d7b2f1e0a11", options.AccountId);
        Assert.Equal("app-token", options.ProductToken);
        Assert.Equal("app-secret", options.WebhookSecret);
    }

    [Fact]
    public void Simulator_settings_win_over_the_app_settings()
    {
        var options = SimulatorOptions.FromConfiguration(Configuration(
            ("BotRouter:ProductToken", "app-token"),
            ("Simulator:ProductToken", "sim-token"),
            ("Simulator:Urls", "http://127.0.0.1:9999")));

        Assert.Equal("sim-token", options.ProductToken);
        Assert.Equal("http://127.0.0.1:9999", options.Urls);
        Assert.Equal(SimulatorOptions.DevelopmentAccountId, options.AccountId);
    }

    [Fact]
    public void Secrets_are_masked_when_options_are_logged()
    {
        var options = new SimulatorOptions { ProductToken = "secret-token", WebhookSecret = "secret-hook" };

        Assert.DoesNotContain("secret", options.ToString(), StringComparison.Ordinal);
    }
}
