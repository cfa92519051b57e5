using BotRouter.DevHost;
using BotRouter.Simulator;
using Microsoft.Extensions.Options;

// Local run: Azurite (unless already running), the Bot Router simulator on 7072 and the app on 7071.
// Settings: defaults < local.settings.json Values < environment variables < command line.
var root = RepositoryRoot.Find();
var configuration = new ConfigurationBuilder()
    .AddInMemoryCollection(DevHostApp.LocalDefaults)
    .AddInMemoryCollection(DevHostApp.ReadLocalSettings(Path.Combine(root, "local.settings.json")))
    .AddInMemoryCollection(DevHostApp.ReadLocalSettings(Path.Combine(root, "src", "BotRouter.Functions", "local.settings.json")))
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();

var simulatorUrl = configuration["Simulator:Urls"] ?? "http://127.0.0.1:7072";
var withSimulator = configuration.GetValue("DevHost:Simulator", true);
if (withSimulator && string.IsNullOrEmpty(configuration["BotRouter:BaseUrl"]))
{
    configuration["BotRouter:BaseUrl"] = simulatorUrl.TrimEnd('/') + "/";
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var azurite = new Azurite();
if (StorageEndpoints.LocalPorts(configuration["AzureWebJobsStorage"]) is { } ports && configuration.GetValue("DevHost:Azurite", true))
{
    var location = configuration.GetValue("DevHost:AzuriteInMemory", false) ? null : Path.Combine(root, ".azurite");
    await azurite.EnsureRunningAsync(root, ports, location, Console.Out, stop.Token);
}

WebApplication? simulator = null;
if (withSimulator)
{
    var options = SimulatorOptions.FromConfiguration(configuration);
    options.Urls = simulatorUrl;
    options.AppBaseUrl = new Uri(configuration["DevHost:Urls"] ?? DevHostApp.DefaultUrl);
    simulator = SimulatorApp.Build(options);
    await simulator.StartAsync(stop.Token);
}

var app = DevHostApp.Build(configuration, DevHostApp.ReadHostJson(Path.Combine(root, "host.json")));
try
{
    await app.StartAsync(stop.Token);
}
catch (OptionsValidationException e)
{
    foreach (var failure in e.Failures)
    {
        await Console.Error.WriteLineAsync(failure);
    }

    return 1;
}

await Console.Out.WriteLineAsync($"Bot Router connector: app {configuration["DevHost:Urls"]}/api (webhook: POST /api/webhook), Bot Router {configuration["BotRouter:BaseUrl"]}");
if (simulator is not null)
{
    await Console.Out.WriteLineAsync($"Simulator console: {simulatorUrl}/  (chat as a customer or an agent)");
}

await app.WaitForShutdownAsync(stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
await app.StopAsync(CancellationToken.None);
if (simulator is not null)
{
    await simulator.StopAsync(CancellationToken.None);
}

return 0;
