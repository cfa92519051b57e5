using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>Options for <see cref="LocalFunctionsHost"/>.</summary>
public sealed class LocalFunctionsHostOptions
{
    /// <summary>
    /// The isolated worker's build output folder (with the worker dll, <c>functions.metadata</c>,
    /// <c>host.json</c> and <c>worker.config.json</c>).
    /// </summary>
    public required string AppDirectory { get; init; }

    /// <summary>HTTP port for the function routes. 0 picks a free port (see <see cref="LocalFunctionsHost.HttpBaseAddress"/>).</summary>
    public int HttpPort { get; init; } = 7071;

    /// <summary>Address the HTTP front end binds to; loopback by default because nothing is authenticated.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>
    /// Extra app settings / environment for the worker and the triggers. These win over the process
    /// environment, which wins over <c>local.settings.json</c> Values.
    /// </summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long the worker may take from launch to all functions loaded.</summary>
    public TimeSpan WorkerStartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Restart the worker when it exits unexpectedly.</summary>
    public bool RestartWorkerOnExit { get; init; } = true;

    /// <summary>How long stopping waits for in-flight invocations before abandoning them.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Turn off to run only HTTP triggers (no storage needed).</summary>
    public bool EnableQueueTriggers { get; init; } = true;

    /// <summary>Where host and worker logs go; a console logger when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
