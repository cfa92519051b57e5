using System.ClientModel;
using System.ClientModel.Primitives;
using BotRouter.Core.Bots;
using BotRouter.Core.Configuration;
using BotRouter.Core.Flows;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using OpenAI;

namespace BotRouter.Azure.Bots;

public static class BotServiceCollectionExtensions
{
    public const string OpenAiHttpClient = "openai-bot";

    /// <summary>
    /// The bot that <c>Bot__Kind</c> names (<c>flows</c>, <c>rest</c>, <c>openai</c>) as <see cref="IBot"/>, its
    /// settings validated at start. The flow bot stays registered for every kind: its flows are loaded only when
    /// something asks for them.
    /// </summary>
    public static IServiceCollection AddBot(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BotOptions>().Bind(configuration.GetSection(BotOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BotOptions>, BotOptionsValidator>());

        services.AddSingleton(sp => sp.GetRequiredService<IOptions<BotOptions>>().Value.FlowsPath is { Length: > 0 } path
            ? FlowSetValidator.LoadFile(path)
            : FlowSetValidator.LoadDefault());
        services.AddSingleton(sp => new FlowBot(sp.GetRequiredService<FlowSet>()));

        // The bots' own HTTP logging is off: a URL may carry a vendor's token, a header the OpenAI key.
        services.AddHttpClient<RestBot>((sp, http) => http.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers()
            .AddStandardResilienceHandler(r => ConfigureResilience(r, configuration));
        services.AddHttpClient(OpenAiHttpClient, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers()
            .AddStandardResilienceHandler(r => ConfigureResilience(r, configuration));
        services.AddKeyedSingleton<IChatClient>(BotKinds.OpenAi, (sp, _) => OpenAiChatClient(sp));
        services.AddSingleton(sp => new OpenAiBot(
            sp.GetRequiredKeyedService<IChatClient>(BotKinds.OpenAi),
            sp.GetRequiredService<IOptions<BotOptions>>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<OpenAiBot>>()));

        services.AddSingleton<IBot>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<BotOptions>>().Value;
            return options.Is(BotKinds.Rest) ? sp.GetRequiredService<RestBot>()
                : options.Is(BotKinds.OpenAi) ? sp.GetRequiredService<OpenAiBot>()
                : new FlowsBot(sp.GetRequiredService<FlowBot>());
        });
        return services;
    }

    private static IChatClient OpenAiChatClient(IServiceProvider sp)
    {
        var o = sp.GetRequiredService<IOptions<BotOptions>>().Value;
        var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(OpenAiHttpClient);

        // Local servers take no key; the SDK needs one, so they get a placeholder they ignore.
        var key = new ApiKeyCredential(string.IsNullOrEmpty(o.ApiKey) ? "no-key" : o.ApiKey);
        var client = new OpenAIClient(key, new OpenAIClientOptions
        {
            Endpoint = o.Endpoint,
            Transport = new HttpClientPipelineTransport(http),

            // The resilience handler retries, as for the REST bot; the SDK's own retries would multiply them.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        });
        return client.GetChatClient(o.Model).AsIChatClient();
    }

    /// <summary>
    /// Two quick retries of a 5xx or a timeout inside one processing attempt, like the Bot Router client; beyond
    /// that the whole turn is retried by the queue (nothing was sent yet) and finally parked in poison.
    /// </summary>
    private static void ConfigureResilience(HttpStandardResilienceOptions options, IConfiguration configuration)
    {
        var attempt = configuration.GetSection(BotOptions.Section).GetValue<TimeSpan?>(nameof(BotOptions.Timeout)) ?? new BotOptions().Timeout;
        if (attempt <= TimeSpan.Zero)
        {
            attempt = new BotOptions().Timeout; // refused at start by the validator; this only keeps the pipeline valid until then
        }

        options.Retry.MaxRetryAttempts = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(300);
        options.AttemptTimeout.Timeout = attempt;
        options.CircuitBreaker.SamplingDuration = attempt * 2 < TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : attempt * 2;
        options.TotalRequestTimeout.Timeout = attempt * 3 + TimeSpan.FromSeconds(2);
    }
}
