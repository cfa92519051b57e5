using System.Diagnostics;

namespace BotRouter.BrowserTests.Infrastructure;

/// <summary>
/// Debian's chromium for Playwright (Playwright's own browser download does not work here). Installed with apt
/// when missing; anything else that stops it fails with one message saying what to do.
/// </summary>
internal static class Chromium
{
    /// <summary>Set to use another Chromium/Chrome binary instead of Debian's.</summary>
    public const string PathVariable = "BROWSER_TESTS_CHROMIUM";

    public const string DebianPath = "/usr/bin/chromium";

    public static readonly string[] Args =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    public static Task<string> EnsureInstalledAsync(TextWriter log, CancellationToken cancellationToken) =>
        EnsureInstalledAsync(Environment.GetEnvironmentVariable(PathVariable), DebianPath, "/usr/bin/apt-get", log, cancellationToken);

    /// <summary>The decision, with the paths as parameters so tests can check it without touching the machine.</summary>
    internal static async Task<string> EnsureInstalledAsync(string? configured, string debianPath, string aptGet, TextWriter log, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{PathVariable} is '{configured}', but there is no file there.");
        }

        if (File.Exists(debianPath))
        {
            return debianPath;
        }

        const string Hint = $"Install it yourself (as root: apt-get update && apt-get install -y chromium) or set {PathVariable} to a Chromium binary.";
        if (!OperatingSystem.IsLinux() || !File.Exists(aptGet))
        {
            throw new InvalidOperationException($"The browser tests need Chromium at {debianPath}, and there is no apt-get to install it. {Hint}");
        }

        await log.WriteLineAsync($"Chromium: {debianPath} is missing, installing it with apt-get (once)...");
        var update = await RunAsync(aptGet, ["update"], cancellationToken);
        var install = update.ExitCode == 0 ? await RunAsync(aptGet, ["install", "-y", "chromium"], cancellationToken) : update;
        if (install.ExitCode != 0 || !File.Exists(debianPath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Chromium at {debianPath}; installing it with apt-get failed (exit {install.ExitCode}). {Hint}\n{Tail(install.Output)}");
        }

        return debianPath;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string Tail(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', lines.TakeLast(15));
    }
}
