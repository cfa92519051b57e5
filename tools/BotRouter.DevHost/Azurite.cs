using System.Diagnostics;
using System.Net.Sockets;

namespace BotRouter.DevHost;

/// <summary>
/// Starts Azurite from the repository's node_modules as a child of this process (it stops with it) when nothing
/// listens on its ports yet, installing it with <c>npm ci</c> on first use, so a fresh clone needs no manual set-up.
/// The run command uses it for in-memory data only; data on disk gets <see cref="AzuriteService"/>, which outlives a crash.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    private Process? process;

    public static bool IsListening(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Starts Azurite on the given ports (in memory or under <paramref name="location"/>) unless all of them already answer.</summary>
    public async Task EnsureRunningAsync(string repositoryRoot, (int Blob, int Queue, int Table) ports, string? location, TextWriter log, CancellationToken cancellationToken)
    {
        int[] all = [ports.Blob, ports.Queue, ports.Table];
        if (all.All(IsListening))
        {
            await log.WriteLineAsync($"Azurite: already listening on {string.Join(", ", all)}");
            return;
        }

        var script = Path.Combine(repositoryRoot, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            await log.WriteLineAsync("Azurite: installing it with npm ci (first run only)...");
            await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], repositoryRoot, cancellationToken);
        }

        List<string> args =
        [
            script, "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", $"{ports.Blob}", "--queuePort", $"{ports.Queue}", "--tablePort", $"{ports.Table}",
        ];
        if (location is null)
        {
            args.Add("--inMemoryPersistence");
        }
        else
        {
            Directory.CreateDirectory(location);
            args.AddRange(["--location", location]);
        }

        var start = new ProcessStartInfo("node") { WorkingDirectory = repositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        args.ForEach(start.ArgumentList.Add);
        process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { log.WriteLine($"azurite: {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!all.All(IsListening))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {process.ExitCode} before listening on {string.Join(", ", all)}.");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Azurite did not listen on {string.Join(", ", all)} within 60 s.");
            }

            await Task.Delay(100, cancellationToken);
        }

        await log.WriteLineAsync($"Azurite: started (pid {process.Id}) on {string.Join(", ", all)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
    }

    internal static async Task RunAsync(string file, string[] args, string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        await p.WaitForExitAsync(cancellationToken);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed with exit code {p.ExitCode}.");
        }
    }
}
