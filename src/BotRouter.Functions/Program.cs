using BotRouter.Azure;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<BotRouter.Functions.Http.StorageOutageMiddleware>();
builder.Services.AddBotRouter(builder.Configuration);
builder.Services.AddBotRouterTelemetry(builder.Configuration);

// Every storage request and retry attempt at Information would drown the app's own events (and cost ingestion).
builder.Logging.AddFilter("Azure.Core", LogLevel.Warning);
builder.Logging.AddFilter("Polly", LogLevel.Warning);
builder.Build().Run();
