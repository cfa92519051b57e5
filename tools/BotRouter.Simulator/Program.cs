using BotRouter.Simulator;

// Simulator__* settings from appsettings.json, the environment and the command line; the rest falls back to the app's keys.
var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();

await using var app = SimulatorApp.Build(SimulatorOptions.FromConfiguration(configuration), args);
await app.RunAsync();
