using System.Net;
using System.Net.Sockets;
using BotRouter.DevHost;

namespace BotRouter.IntegrationTests.Infrastructure;

/// <summary>A real Azurite, in memory, on free ports, for the whole test assembly.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    internal const string DevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Azurite azurite = new();

    public string ConnectionString { get; private set; } = string.Empty;

    public (int Blob, int Queue, int Table) Ports { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Ports = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        await azurite.EnsureRunningAsync(RepositoryRoot.Find(), Ports, location: null, TextWriter.Null, CancellationToken.None);
        ConnectionString = ConnectionStringFor(Ports);
    }

    public ValueTask DisposeAsync() => azurite.DisposeAsync();

    /// <summary>Azurite's well-known development account on the given ports.</summary>
    public static string ConnectionStringFor((int Blob, int Queue, int Table) ports) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevKey};" +
        $"BlobEndpoint=http://127.0.0.1:{ports.Blob}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{ports.Queue}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{ports.Table}/devstoreaccount1;";

}
