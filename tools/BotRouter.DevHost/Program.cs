using BotRouter.DevHost;
using BotRouter.Simulator;
using Functions.LocalHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

// Local run: Azurite (unless already running), the Bot Router simulator on 7072, and the real Functions app
// (src/BotRouter.Functions build output) under Functions.LocalHost on 7071, the way Azure's host runs it.
var root = RepositoryRoot.Find();
var configuration = DevSettings.Load(root, args);
if (DevSettings.Problems(configuration) is { Count: > 0 } problems)
{
    foreach (var problem in problems)
    {
        await Console.Error.WriteLineAsync(problem);
    }

    return 1;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

// In memory, Azurite is a child of this process. With data on disk it is a service of its own (own session, recorded
// in its data directory): it outlives a crash of this process, the next run uses it again, and a normal stop of the
// run that started it (or took it over from a crashed run) stops it; an Azurite that was already listening is left alone.
await using var azurite = new Azurite();
await using var azuriteService = new AzuriteService(DevSettings.AzuriteLocation(configuration, root));
if (configuration.GetValue("DevHost:Azurite", true) && StorageEndpoints.LocalPorts(configuration["AzureWebJobsStorage"]) is { } ports)
{
    try
    {
        if (configuration.GetValue("DevHost:AzuriteInMemory", false))
        {
            await azurite.EnsureRunningAsync(root, ports, location: null, Console.Out, stop.Token);
        }
        else
        {
            await azuriteService.EnsureRunningAsync(root, ports, Console.Out, stop.Token);
        }
    }
    catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
    {
        await Console.Error.WriteLineAsync($"Azurite did not start: {e.Message}");
        return 1;
    }
}

var appUrl = new Uri(configuration["DevHost:Urls"]!);
WebApplication? simulator = null;
if (configuration.GetValue("DevHost:Simulator", true))
{
    var options = SimulatorOptions.FromConfiguration(configuration);
    options.Urls = configuration["Simulator:Urls"]!;
    options.AppBaseUrl = appUrl;
    simulator = SimulatorApp.Build(options);
    try
    {
        await simulator.StartAsync(stop.Token);
    }
    catch (IOException e)
    {
        await Console.Error.WriteLineAsync($"The simulator did not start: {e.Message}");
        return 1;
    }
}

var hostOptions = new LocalFunctionsHostOptions { AppDirectory = DevSettings.FunctionsAppDirectory(configuration), HttpPort = appUrl.Port };
foreach (var (key, value) in DevSettings.WorkerEnvironment(configuration))
{
    hostOptions.Environment[key] = value;
}

await using var host = new LocalFunctionsHost(hostOptions);
try
{
    await host.StartAsync(stop.Token);
}
catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or WorkerUnavailableException or OperationCanceledException)
{
    await Console.Error.WriteLineAsync($"The Functions app did not start: {e.Message}");
    return 1;
}

await Console.Out.WriteLineAsync($"Bot Router connector: {host.Functions.Count} functions of {hostOptions.AppDirectory} on {host.HttpBaseAddress}api (webhook: POST /api/webhook); Bot Router: {configuration["BotRouter:BaseUrl"]}");
if (simulator is not null)
{
    await Console.Out.WriteLineAsync($"Simulator console: {configuration["Simulator:Urls"]}/  (chat as a customer or as an agent)");
}

try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

await host.StopAsync(CancellationToken.None);
if (simulator is not null)
{
    await simulator.StopAsync(CancellationToken.None);
}

await azuriteService.StopAsync(Console.Out);
return 0;
