using System.Net;
using System.Net.Sockets;

namespace Functions.LocalHost.Tests;

/// <summary>
/// A TCP proxy that holds every chunk sent upstream for a fixed delay: puts the host's storage
/// writes visibly behind, so a test can tell "written before the response" from "written just
/// after it" without racing.
/// </summary>
internal sealed class DelayingProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly int upstreamPort;
    private readonly TimeSpan delay;
    private readonly Task accept;

    public DelayingProxy(int upstreamPort, TimeSpan delay)
    {
        this.upstreamPort = upstreamPort;
        this.delay = delay;
        listener.Start();
        accept = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, this.upstreamPort, stop.Token);
                var down = client.GetStream();
                var up = upstream.GetStream();
                await Task.WhenAny(PumpAsync(down, up, this.delay), PumpAsync(up, down, TimeSpan.Zero));
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // Connection closed.
            }
        }
    }

    private async Task PumpAsync(Stream from, Stream to, TimeSpan delay)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, stop.Token)) > 0)
            {
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, stop.Token);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // Connection closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accept;
        stop.Dispose();
    }
}
