using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;

namespace BotRouter.Azure;

/// <summary>
/// Registers the storage clients once, from the same setting the Functions host uses: a connection string
/// (locally <c>UseDevelopmentStorage=true</c>) or, in Azure, identity-based
/// <c>AzureWebJobsStorage__accountName</c> / <c>__queueServiceUri</c> / <c>__tableServiceUri</c> /
/// <c>__blobServiceUri</c> with <c>__credential=managedidentity</c> and <c>__clientId</c>.
/// </summary>
internal static class StorageClients
{
    public static void Add(AzureClientFactoryBuilder clients, IConfiguration configuration)
    {
        var connectionString = configuration[StorageNames.Connection];
        var section = configuration.GetSection(StorageNames.Connection);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            clients.AddQueueServiceClient(connectionString).ConfigureOptions(ConfigureQueue);
            clients.AddTableServiceClient(connectionString).ConfigureOptions(o => ConfigureRetry(o.Retry));
            clients.AddBlobServiceClient(connectionString).ConfigureOptions(o => ConfigureRetry(o.Retry));
            return;
        }

        var account = section["accountName"];
        if (string.IsNullOrWhiteSpace(account) && section["queueServiceUri"] is null)
        {
            throw new InvalidOperationException(
                $"Missing required setting {StorageNames.Connection} (a connection string, or {StorageNames.Connection}__accountName for identity-based access).");
        }

        Uri Service(string kind) => section[$"{kind}ServiceUri"] is { } uri ? new Uri(uri) : new Uri($"https://{account}.{kind}.core.windows.net");

        TokenCredential credential = string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(section["clientId"] is { } id ? ManagedIdentityId.FromUserAssignedClientId(id) : ManagedIdentityId.SystemAssigned)
            : new DefaultAzureCredential();
        clients.UseCredential(credential);
        clients.AddQueueServiceClient(Service("queue")).ConfigureOptions(ConfigureQueue);
        clients.AddTableServiceClient(Service("table")).ConfigureOptions(o => ConfigureRetry(o.Retry));
        clients.AddBlobServiceClient(Service("blob")).ConfigureOptions(o => ConfigureRetry(o.Retry));
    }

    private static void ConfigureQueue(QueueClientOptions options)
    {
        // The Functions queue trigger decodes base64 by default (host.json messageEncoding).
        options.MessageEncoding = QueueMessageEncoding.Base64;
        ConfigureRetry(options.Retry);
    }

    /// <summary>Fail fast enough that the webhook can answer 503 well within CM's timeout.</summary>
    private static void ConfigureRetry(RetryOptions retry)
    {
        retry.MaxRetries = 2;
        retry.Delay = TimeSpan.FromMilliseconds(200);
        retry.MaxDelay = TimeSpan.FromSeconds(2);
        retry.NetworkTimeout = TimeSpan.FromSeconds(10);
    }
}
