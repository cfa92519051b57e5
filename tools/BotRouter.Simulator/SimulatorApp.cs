using BotRouter.Simulator.Endpoints;
using BotRouter.Simulator.Routing;

namespace BotRouter.Simulator;

/// <summary>Builds the fake CM Bot Router so the dev host, tests and <c>Program</c> can run it in-process.</summary>
public static class SimulatorApp
{
    private const string ConsoleResource = "BotRouter.Simulator.index.html";

    /// <summary>
    /// A ready-to-run simulator listening on <see cref="SimulatorOptions.Urls"/>; start it with <c>StartAsync</c> or <c>RunAsync</c>.
    /// Empty options fall back to the app's settings in the configuration built from <paramref name="args"/> and the environment.
    /// </summary>
    /// <exception cref="InvalidOperationException">A setting is wrong; the message names it.</exception>
    public static WebApplication Build(SimulatorOptions options, string[]? args = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args ?? [],
            ApplicationName = typeof(SimulatorApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // Only the environment and args: a host running the simulator in-process must not lend it
        // its appsettings.json (its Kestrel endpoints or logging would become the simulator's).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddEnvironmentVariables().AddCommandLine(args ?? []);
        options = options.WithFallbacks(builder.Configuration);
        if (options.Validate() is { Count: > 0 } errors)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        }

        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ChangeFeed>();
        builder.Services.AddSingleton<RoutingTable>();
        builder.Services.AddSingleton<CallLog>();
        builder.Services.AddSingleton<Counters>();
        builder.Services.AddSingleton<WebhookDelivery>();
        builder.Services.AddHostedService(services => services.GetRequiredService<WebhookDelivery>());
        builder.Services.AddSingleton<StatusReports>();
        builder.Services.AddHostedService(services => services.GetRequiredService<StatusReports>());
        builder.Services.AddProblemDetails();
        builder.Services.AddHttpClient<AppClient>(http =>
        {
            http.BaseAddress = new Uri(options.AppBaseUrl.ToString().TrimEnd('/') + "/");
            http.Timeout = options.AppTimeout;
        });

        var app = builder.Build();
        Log.Started(app.Logger, options);
        if (string.IsNullOrEmpty(options.ProductToken))
        {
            Log.AnyProductToken(app.Logger);
        }

        app.MapGet("/", () => Results.Stream(
            typeof(SimulatorApp).Assembly.GetManifestResourceStream(ConsoleResource)!, "text/html; charset=utf-8"));
        app.MapBotRouter();
        app.MapConsole();
        return app;
    }
}
