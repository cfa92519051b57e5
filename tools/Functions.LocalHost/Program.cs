using System.Globalization;
using Functions.LocalHost;

// CLI: dotnet run --project tools/Functions.LocalHost -- --app <dir> [--port 7071] [--measure N]
string? appDir = null;
var port = 7071;
var measure = 0;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--app" when i + 1 < args.Length:
            appDir = args[++i];
            break;
        case "--port" when i + 1 < args.Length:
            port = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--measure" when i + 1 < args.Length:
            measure = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        default:
            await Console.Error.WriteLineAsync("usage: Functions.LocalHost --app <worker build output dir> [--port 7071] [--measure N]");
            return 2;
    }
}

if (appDir is null)
{
    await Console.Error.WriteLineAsync("usage: Functions.LocalHost --app <worker build output dir> [--port 7071] [--measure N]");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Let StopAsync drain in-flight work instead of the runtime killing the process.
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    stop.Cancel();
});

await using var host = new LocalFunctionsHost(new LocalFunctionsHostOptions { AppDirectory = appDir, HttpPort = port });
try
{
    await host.StartAsync(stop.Token);
}
catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException or WorkerUnavailableException or TimeoutException or OperationCanceledException)
{
    await Console.Error.WriteLineAsync($"Host failed to start: {ex.Message}");
    return 1;
}

if (measure > 0)
{
    await Measurement.RunAsync(host, measure, stop.Token);
    await host.StopAsync(CancellationToken.None);
    return 0;
}

try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // Ctrl+C / SIGTERM.
}

await host.StopAsync(CancellationToken.None);
return 0;
