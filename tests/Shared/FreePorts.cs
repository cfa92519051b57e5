using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace BotRouter.Tests.Shared;

/// <summary>
/// Free loopback ports for the processes a test or the benchmark starts. They are picked below Linux's ephemeral
/// range (32768-60999) and away from the well-known local ports (7071-7073, 10000-10002): a port the OS hands out for
/// port 0 lies in that range, so between the check and the child's bind it can become the local end of some outgoing
/// connection ("address already in use"); a port below it cannot. No port is handed out twice in one process.
/// </summary>
internal static class FreePorts
{
    private const int First = 20000;
    private const int Last = 32000;
    private static readonly ConcurrentDictionary<int, bool> HandedOut = new();

    public static int Next()
    {
        while (true)
        {
            var port = Random.Shared.Next(First, Last);
            if (!HandedOut.TryAdd(port, true))
            {
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken by something else: try another.
            }
        }
    }
}
