using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BotRouter.Azure;

/// <summary>Whether the app's queues or its table answer: the webhook can accept nothing without them.</summary>
public sealed class StorageHealthCheck(QueueServiceClient queues, TableServiceClient tables, StorageHealthCheck.Part part) : IHealthCheck
{
    public enum Part
    {
        Queues,
        Tables,
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (part == Part.Queues)
            {
                await queues.GetQueueClient(StorageNames.InboundQueue).GetPropertiesAsync(cancellationToken);
            }
            else
            {
                await foreach (var _ in tables.GetTableClient(StorageNames.ChatsTable).QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken))
                {
                    break;
                }
            }

            return HealthCheckResult.Healthy("ok");
        }
        catch (Exception e) when (e is global::Azure.RequestFailedException or AggregateException or HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy($"unavailable: {e.GetType().Name}");
        }
    }
}
