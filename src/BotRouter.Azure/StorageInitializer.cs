using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BotRouter.Azure;

/// <summary>Creates the table, queues and container when missing (Azurite starts empty; in Azure, infra/ made them).</summary>
public sealed partial class StorageInitializer(
    TableServiceClient tables,
    QueueServiceClient queues,
    BlobServiceClient blobs,
    ILogger<StorageInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureCreatedAsync(cancellationToken);
        }
        catch (Exception e) when (e is global::Azure.RequestFailedException or AggregateException or HttpRequestException)
        {
            // Start anyway: the health endpoint reports storage, and the webhook answers 503 until it is back.
            LogUnavailable(e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await tables.CreateTableIfNotExistsAsync(StorageNames.ChatsTable, cancellationToken);
        foreach (var name in new[] { StorageNames.InboundQueue })
        {
            await queues.GetQueueClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queues.GetQueueClient(name + StorageNames.PoisonSuffix).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }

        await blobs.GetBlobContainerClient(StorageNames.PayloadsContainer).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }

    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "Storage is not reachable at start-up; the app starts and reports it on /api/health")]
    private partial void LogUnavailable(Exception e);
}
