using BotRouter.Simulator;

var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();

await using var app = SimulatorApp.Build(SimulatorOptions.FromConfiguration(configuration), args);
await app.RunAsync();
