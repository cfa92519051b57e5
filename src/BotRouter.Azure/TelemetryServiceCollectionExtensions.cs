using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using BotRouter.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace BotRouter.Azure;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// OpenTelemetry traces and metrics of the app (and of its Bot Router HTTP calls): to Application Insights
    /// when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (Entra ID auth with the app's managed identity
    /// when <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> says so), to the console when
    /// <c>Telemetry__Console=true</c>.
    /// </summary>
    public static IServiceCollection AddBotRouterTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var appInsights = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        var console = configuration.GetValue("Telemetry:Console", false);
        var entraClientId = ClientIdOf(configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        void AzureMonitor(AzureMonitorExporterOptions o)
        {
            o.ConnectionString = appInsights;
            if (entraClientId is not null)
            {
                o.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(entraClientId));
            }
        }

        services.AddOpenTelemetry()
            .WithTracing(tracing =>
            {
                // Only the Bot Router calls: the storage SDK's own requests would bury them.
                tracing.AddSource(BotRouterTelemetry.Name).AddHttpClientInstrumentation(o =>
                    o.FilterHttpRequestMessage = request => request.Headers.Contains(CmRouterClient.ProductTokenHeader));
                if (!string.IsNullOrEmpty(appInsights))
                {
                    tracing.AddAzureMonitorTraceExporter(AzureMonitor);
                }

                if (console)
                {
                    tracing.AddConsoleExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(BotRouterTelemetry.Name);
                if (!string.IsNullOrEmpty(appInsights))
                {
                    metrics.AddAzureMonitorMetricExporter(AzureMonitor);
                }

                if (console)
                {
                    metrics.AddConsoleExporter();
                }
            });
        return services;
    }

    /// <summary>Reads <c>ClientId=...;Authorization=AAD</c>.</summary>
    private static string? ClientIdOf(string? authentication) =>
        authentication?.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2 && p[0].Trim().Equals("ClientId", StringComparison.OrdinalIgnoreCase))
            .Select(p => p[1].Trim())
            .FirstOrDefault();
}
