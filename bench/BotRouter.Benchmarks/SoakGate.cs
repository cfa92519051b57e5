using System.Net;
using System.Net.Sockets;

namespace BotRouter.Soak;

/// <summary>
/// A loopback TCP forwarder in front of one Azurite port that can be cut: while cut, every open connection is
/// reset and every new one is accepted and reset at once (the app sees storage refuse it), so storage goes away
/// without stopping the emulator.
/// </summary>
public sealed class SoakGate : IAsyncDisposable
{
    private readonly int target;
    private readonly TcpListener listener;
    private readonly List<TcpClient> open = [];
    private readonly CancellationTokenSource stop = new();
    private volatile bool cut;
    private long refused;

    public SoakGate(int port, int target)
    {
        this.target = target;
        Port = port;
        listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        _ = AcceptAsync();
    }

    public int Port { get; }

    public long Refused => Interlocked.Read(ref refused);

    public bool IsCut => cut;

    public void Cut()
    {
        cut = true;
        lock (open)
        {
            open.ForEach(Reset);
            open.Clear();
        }
    }

    public void Restore() => cut = false;

    private static void Reset(TcpClient client)
    {
        try
        {
            client.Client.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        client.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (cut)
            {
                Interlocked.Increment(ref refused);
                Reset(inbound);
                continue;
            }

            _ = PipeAsync(inbound);
        }
    }

    private async Task PipeAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        lock (open)
        {
            open.Add(inbound);
            open.Add(outbound);
        }

        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, target, stop.Token);
            var a = inbound.GetStream();
            var b = outbound.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, stop.Token), b.CopyToAsync(a, stop.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            lock (open)
            {
                open.Remove(inbound);
                open.Remove(outbound);
            }

            inbound.Dispose();
            outbound.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        Cut();
        stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
