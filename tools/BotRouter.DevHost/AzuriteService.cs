using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BotRouter.DevHost;

/// <summary>
/// What a run that started Azurite writes next to its data (<see cref="AzuriteService.RecordFileName"/>): the Azurite
/// process and the run command that owns it (the one that stops it), each as pid and start time.
/// </summary>
public sealed record AzuriteRecord(int Pid, DateTime StartedUtc, int BlobPort, int QueuePort, int TablePort, string Location, int OwnerPid = 0, DateTime OwnerStartedUtc = default)
{
    [JsonIgnore]
    public (int Blob, int Queue, int Table) Ports => (BlobPort, QueuePort, TablePort);
}

/// <summary>
/// Azurite with its data on disk, run as a service of its own: a detached process in its own session (so a crash of
/// the run command, even <c>kill -9</c> of its whole process group, leaves it and everything it acknowledged alone),
/// recorded in <c>azurite.pid.json</c> under its data directory so the next run finds it and uses it again.
/// <see cref="StopAsync"/> stops only an Azurite such a record names as this run's: started by it, or taken over from
/// an owner run that is gone (crashed); never one another live run owns, nor one that was already listening without
/// a record (the user's own).
/// </summary>
public sealed class AzuriteService(string location) : IAsyncDisposable
{
    public const string RecordFileName = "azurite.pid.json";
    public const string LogFileName = "azurite.log";
    private const string LockFileName = "azurite.lock";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    // Starts Azurite detached (setsid on POSIX, a new process group on Windows) with its output in a file, prints its pid.
    private const string Launcher = """
        const { spawn } = require('child_process');
        const fs = require('fs');
        const [, log, ...args] = process.argv;
        const out = fs.openSync(log, 'a');
        const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out], windowsHide: true });
        if (!child.pid) { console.error('could not start node'); process.exit(1); }
        process.stdout.write(String(child.pid));
        child.unref();
        """;

    private AzuriteRecord? owned;

    /// <summary>Where the data, the record and Azurite's log live (absolute).</summary>
    public string Location { get; } = Path.GetFullPath(location);

    public string RecordPath => Path.Combine(Location, RecordFileName);

    /// <summary>The Azurite this run will stop on <see cref="StopAsync"/>, if any.</summary>
    public AzuriteRecord? Owned => owned;

    public static AzuriteRecord? ReadRecord(string location)
    {
        var path = Path.Combine(Path.GetFullPath(location), RecordFileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<AzuriteRecord>(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// True when the record's process still runs and is the very Azurite the record describes: same start time
    /// (a reused pid belongs to a younger process) and, where the command line can be read, <c>azurite</c> serving
    /// this data directory.
    /// </summary>
    public static bool IsRunning(AzuriteRecord record)
    {
        try
        {
            using var process = Process.GetProcessById(record.Pid);
            if (process.HasExited || Math.Abs((process.StartTime.ToUniversalTime() - record.StartedUtc).TotalSeconds) > 2)
            {
                return false;
            }

            var commandLine = CommandLine(record.Pid);
            return commandLine is null
                ? process.ProcessName.Contains("node", StringComparison.OrdinalIgnoreCase)
                : commandLine.Contains("azurite", StringComparison.OrdinalIgnoreCase) && commandLine.Contains(record.Location, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Makes sure an Azurite serves <paramref name="ports"/>: the recorded one, one already listening, or a new one.</summary>
    public async Task EnsureRunningAsync(string repositoryRoot, (int Blob, int Queue, int Table) ports, TextWriter log, CancellationToken cancellationToken)
    {
        int[] all = [ports.Blob, ports.Queue, ports.Table];
        Directory.CreateDirectory(Location);
        using var exclusive = await LockAsync(cancellationToken);

        var record = ReadRecord(Location);
        if (record is not null && !IsRunning(record))
        {
            await log.WriteLineAsync($"Azurite: {RecordPath} names pid {record.Pid}, which no longer runs Azurite; starting afresh");
            File.Delete(RecordPath);
            record = null;
        }

        if (record is not null)
        {
            if (record.Ports != ports)
            {
                throw new InvalidOperationException(
                    $"Azurite for {Location} already runs (pid {record.Pid}) on ports {record.BlobPort}, {record.QueuePort}, {record.TablePort}, not {string.Join(", ", all)}: use its ports or stop it first (kill {record.Pid}).");
            }

            await WaitUntilListeningAsync(record, all, cancellationToken);
            if (IsAlive(record.OwnerPid, record.OwnerStartedUtc) && record.OwnerPid != Environment.ProcessId)
            {
                await log.WriteLineAsync($"Azurite: using the one run {record.OwnerPid} started and still runs (pid {record.Pid}, data in {Location}) on {string.Join(", ", all)}; that run stops it");
                return;
            }

            owned = record with { OwnerPid = Environment.ProcessId, OwnerStartedUtc = OwnStartTime() };
            await WriteRecordAsync(owned, cancellationToken);
            await log.WriteLineAsync($"Azurite: using the one a previous run started (pid {record.Pid}, data in {Location}) on {string.Join(", ", all)}");
            return;
        }

        if (all.All(Azurite.IsListening))
        {
            await log.WriteLineAsync($"Azurite: already listening on {string.Join(", ", all)} (not started by the dev host, so it is left running)");
            return;
        }

        var script = Path.Combine(repositoryRoot, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            await log.WriteLineAsync("Azurite: installing it with npm ci (first run only)...");
            await Azurite.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], repositoryRoot, cancellationToken);
        }

        var start = new ProcessStartInfo("node") { WorkingDirectory = Location, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] args =
        [
            "-e", Launcher, Path.Combine(Location, LogFileName),
            script, "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--location", Location,
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", $"{ports.Blob}", "--queuePort", $"{ports.Queue}", "--tablePort", $"{ports.Table}",
        ];
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using (var launcher = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite."))
        {
            var pidText = await launcher.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = await launcher.StandardError.ReadToEndAsync(cancellationToken);
            await launcher.WaitForExitAsync(cancellationToken);
            if (launcher.ExitCode != 0 || !int.TryParse(pidText.Trim(), out var pid))
            {
                throw new InvalidOperationException($"Could not start Azurite: {error.Trim()}");
            }

            DateTime started;
            try
            {
                using var azurite = Process.GetProcessById(pid);
                started = azurite.StartTime.ToUniversalTime();
            }
            catch (ArgumentException)
            {
                throw new InvalidOperationException($"Azurite exited right after it started; see {Path.Combine(Location, LogFileName)}:\n{LogTail()}");
            }

            record = new AzuriteRecord(pid, started, ports.Blob, ports.Queue, ports.Table, Location, Environment.ProcessId, OwnStartTime());
        }

        await WriteRecordAsync(record, cancellationToken);
        owned = record;
        await WaitUntilListeningAsync(record, all, cancellationToken);
        await log.WriteLineAsync($"Azurite: started as a service of its own (pid {record.Pid}, data in {Location}, log {LogFileName}) on {string.Join(", ", all)}");
    }

    /// <summary>Stops the Azurite this run started or took over from a crashed run (SIGTERM, so it saves its data), nothing else.</summary>
    public async Task StopAsync(TextWriter log)
    {
        if (owned is not { } record)
        {
            return;
        }

        owned = null;
        using var exclusive = await LockAsync(CancellationToken.None);
        if (ReadRecord(Location) is not { } current || current.Pid != record.Pid || current.StartedUtc != record.StartedUtc || current.OwnerPid != record.OwnerPid)
        {
            return; // another run took it over meanwhile (this one looked dead to it)
        }

        if (IsRunning(record))
        {
            using var process = Process.GetProcessById(record.Pid);
            Terminate(process);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
            }

            await log.WriteLineAsync($"Azurite: stopped (pid {record.Pid})");
        }

        File.Delete(RecordPath);
    }

    public async ValueTask DisposeAsync() => await StopAsync(TextWriter.Null);

    private async Task WriteRecordAsync(AzuriteRecord record, CancellationToken cancellationToken)
    {
        var temporary = RecordPath + ".tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(record, Json), cancellationToken);
        File.Move(temporary, RecordPath, overwrite: true);
    }

    private static DateTime OwnStartTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.StartTime.ToUniversalTime();
    }

    /// <summary>The process still runs and is the one that started at that time (not a reuse of its pid).</summary>
    private static bool IsAlive(int pid, DateTime startedUtc)
    {
        if (pid <= 0)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && Math.Abs((process.StartTime.ToUniversalTime() - startedUtc).TotalSeconds) <= 2;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return false;
        }
    }

    private async Task WaitUntilListeningAsync(AzuriteRecord record, int[] ports, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!ports.All(Azurite.IsListening))
        {
            if (!IsRunning(record))
            {
                throw new InvalidOperationException($"Azurite (pid {record.Pid}) exited before listening on {string.Join(", ", ports)}; see {Path.Combine(Location, LogFileName)}:\n{LogTail()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Azurite (pid {record.Pid}) did not listen on {string.Join(", ", ports)} within 60 s.");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>One run at a time checks and starts the Azurite of a data directory (the OS drops the lock when a run dies).</summary>
    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Location, LockFileName);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    private string LogTail()
    {
        var path = Path.Combine(Location, LogFileName);
        return File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(20)) : string.Empty;
    }

    private static string? CommandLine(int pid)
    {
        var path = $"/proc/{pid}/cmdline";
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Replace('\0', ' ') : null;
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private static void Terminate(Process process)
    {
        if (OperatingSystem.IsWindows() || SendSignal(process.Id, Sigterm) != 0)
        {
            process.Kill();
        }
    }

    private const int Sigterm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for this one int-only call
    private static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054
}
