using System.Net;
using System.Net.Sockets;

namespace BotRouter.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder that can be cut and restored, to take storage away from the app without
/// stopping the emulator (which would lose what it had not written to disk yet).
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly int target;
    private readonly List<TcpClient> open = [];
    private TcpListener? listener;
    private CancellationTokenSource stop = new();

    public TcpProxy(int target)
    {
        this.target = target;
        Port = FreePorts.Next();
        Start();
    }

    public int Port { get; }

    public void Start()
    {
        stop = new CancellationTokenSource();
        listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _ = AcceptAsync(listener, stop.Token);
    }

    /// <summary>Refuses new connections and drops the open ones.</summary>
    public void Cut()
    {
        stop.Cancel();
        listener?.Stop();
        lock (open)
        {
            open.ForEach(c => c.Dispose());
            open.Clear();
        }
    }

    private async Task AcceptAsync(TcpListener server, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await server.AcceptTcpClientAsync(token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = PipeAsync(inbound, token);
        }
    }

    private async Task PipeAsync(TcpClient inbound, CancellationToken token)
    {
        using var outbound = new TcpClient();
        lock (open)
        {
            open.Add(inbound);
            open.Add(outbound);
        }

        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, target, token);
            using var a = inbound.GetStream();
            using var b = outbound.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, token), b.CopyToAsync(a, token));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            inbound.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
