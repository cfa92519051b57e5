using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;
using BotRouter.Azure.Bots;
using BotRouter.Core.Bots;
using BotRouter.Core.Processing;
using BotRouter.Core.Routing;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace BotRouter.Azure;

public static class BotRouterServiceCollectionExtensions
{
    /// <summary>
    /// Everything the app's functions need, for every host (the Functions worker, tests): options validated at
    /// start, the flow bot, the processors, storage adapters and the typed Bot Router client.
    /// </summary>
    public static IServiceCollection AddBotRouter(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BotRouterOptions>().Bind(configuration.GetSection(BotRouterOptions.Section)).ValidateOnStart();
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BotRouterOptions>, BotRouterOptionsValidator>());
        services.AddOptions<ProcessingOptions>().Bind(configuration.GetSection(ProcessingOptions.Section)).ValidateOnStart()
            .PostConfigure(o =>
            {
                // A bot that does I/O is taken hold of before it is asked, unless the setting says otherwise.
                if (configuration[$"{ProcessingOptions.Section}:{nameof(ProcessingOptions.HoldBeforeDeciding)}"] is null)
                {
                    o.HoldBeforeDeciding = !string.Equals(configuration["Bot:Kind"] ?? "flows", "flows", StringComparison.OrdinalIgnoreCase);
                }
            });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProcessingOptions>, ProcessingOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IIdSource, GuidIdSource>();
        services.AddBot(configuration);
        services.AddSingleton(sp => RouterComponents.Of(sp.GetRequiredService<IOptions<BotRouterOptions>>().Value));
        services.AddSingleton(sp => new RouterRequests(
            sp.GetRequiredService<RouterComponents>(),
            sp.GetRequiredService<IOptions<BotRouterOptions>>().Value.MutationFormat));
        services.AddOptions<RoutingOptions>().Bind(configuration.GetSection(RoutingOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>());
        services.AddSingleton(sp =>
        {
            var routing = sp.GetRequiredService<IOptions<RoutingOptions>>().Value;
            return new ConversationRules(sp.GetRequiredService<IOptions<BotOptions>>().Value.SessionTimeout, routing.AgentIdle)
            {
                Hours = Core.Hours.TeamHours.Parse(routing.Hours, []), // validated at start: no errors left to report
                OutOfHours = routing.Policy,
                OutOfHoursNotice = routing.OutOfHoursNotice,
                LeaveMessageNotice = routing.LeaveMessageNotice,
            };
        });
        services.AddSingleton(sp => new ChatTurns(sp.GetRequiredService<IBot>(), sp.GetRequiredService<RouterRequests>(), sp.GetRequiredService<IIdSource>(), sp.GetRequiredService<ConversationRules>()));
        services.AddSingleton<ChatGate>();
        services.AddSingleton<RouteBreaker>();
        services.AddSingleton<ChatProcessor>();
        services.AddSingleton<WebhookIntake>();
        services.AddSingleton<OperatorIntake>();
        services.AddSingleton<Core.Delivery.StatusReportIntake>();

        services.AddAzureClients(clients => StorageClients.Add(clients, configuration));
        services.AddSingleton<IChatStore, TableChatStore>();
        services.AddSingleton<IWorkSignals, QueueWorkSignals>();
        services.AddSingleton<PoisonedMessages>();
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration("queues", sp => new StorageHealthCheck(sp.GetRequiredService<global::Azure.Storage.Queues.QueueServiceClient>(), sp.GetRequiredService<global::Azure.Data.Tables.TableServiceClient>(), StorageHealthCheck.Part.Queues), null, null))
            .Add(new HealthCheckRegistration("tables", sp => new StorageHealthCheck(sp.GetRequiredService<global::Azure.Storage.Queues.QueueServiceClient>(), sp.GetRequiredService<global::Azure.Data.Tables.TableServiceClient>(), StorageHealthCheck.Part.Tables), null, null))
            .AddCheck<RouterRoutesHealthCheck>("router");
        services.AddHostedService<StorageInitializer>();

        services.AddHttpClient<IRouterClient, CmRouterClient>((sp, http) =>
                http.BaseAddress = sp.GetRequiredService<IOptions<BotRouterOptions>>().Value.BaseUrl)
            .RemoveAllLoggers() // the default handlers put raw header values (the product token) in log state
            .AddStandardResilienceHandler()
            .Configure((options, sp) => ConfigureResilience(options, sp.GetRequiredService<IOptions<BotRouterOptions>>().Value.AttemptTimeout));
        return services;
    }

    /// <summary>
    /// Three quick retries inside one processing attempt; beyond that the queue's own retry (visibility
    /// timeout, then the poison queue) takes over, so a long outage does not pin a processor.
    /// </summary>
    private static void ConfigureResilience(HttpStandardResilienceOptions options, TimeSpan attemptTimeout)
    {
        options.Retry.MaxRetryAttempts = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(300);
        options.AttemptTimeout.Timeout = attemptTimeout;

        // The breaker opens for an outage, not for a flaky router: at the default ratio (10 %) a router failing
        // a third of the calls kept it open most of the time, failing every chat at once. The breaker samples at
        // least twice the attempt timeout, and the total covers every attempt and its back-off.
        options.CircuitBreaker.FailureRatio = 0.5;
        options.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, attemptTimeout.Ticks * 2));
        options.TotalRequestTimeout.Timeout = (attemptTimeout * 4) + TimeSpan.FromSeconds(5);
    }
}
