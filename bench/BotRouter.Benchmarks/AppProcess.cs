using System.Diagnostics;
using System.Globalization;

namespace BotRouter.Benchmarks;

/// <summary>
/// The app under test as its own process: by default the Release dev host (<c>dotnet BotRouter.DevHost.dll</c>),
/// or any command given by <c>BENCH_APP_CMD</c> / <c>--app-cmd</c> (run with <c>sh -c</c>, e.g. a local Functions
/// host) that serves the same HTTP surface at <c>DevHost__Urls</c>. Its output goes to a log file (the last lines
/// kept for error messages); lines with event id 1101 (chat busy, signal put back) are counted. The soak runs its
/// instances with it too. Disposing kills it and its children.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private readonly Queue<string> tail = new();
    private long busyEvents;

    private AppProcess(Process process, StreamWriter log, string baseUrl)
    {
        this.process = process;
        this.log = log;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>The last 40 lines of its output.</summary>
    public string Tail
    {
        get
        {
            lock (log)
            {
                return string.Join('\n', tail);
            }
        }
    }

    public long BusyEvents => Interlocked.Read(ref busyEvents);

    public static string DefaultCommand(string root) =>
        RunCommand(Path.Combine(root, "tools", "BotRouter.DevHost", "bin", "Release", "net10.0", "BotRouter.DevHost.dll"));

    /// <summary>The command that runs this run command's build (<c>dotnet BotRouter.DevHost.dll</c>), in place of the shell.</summary>
    public static string RunCommand(string devHostDll) => $"exec dotnet \"{devHostDll}\"";

    /// <param name="healthTimeout">How long it may take to answer <c>GET /api/health</c>; 90 s unless given.</param>
    public static async Task<AppProcess> StartAsync(string command, string root, IReadOnlyDictionary<string, string> environment, string baseUrl, string logPath, HttpClient http, TimeSpan? healthTimeout = null)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the app: {command}");
        var writer = new StreamWriter(logPath) { AutoFlush = true }; // a crash of the bench keeps the log for diagnosis
        var app = new AppProcess(process, writer, baseUrl);
        process.OutputDataReceived += (_, e) => app.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => app.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await app.WaitHealthyAsync(logPath, http, healthTimeout ?? TimeSpan.FromSeconds(90));
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    private async Task WaitHealthyAsync(string logPath, HttpClient http, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The app at {BaseUrl} exited with code {process.ExitCode} before it was healthy; see {logPath}:\n{Tail}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUrl + "/api/health"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (Stopwatch.GetElapsedTime(deadline) > timeout)
            {
                throw new TimeoutException($"The app at {BaseUrl} did not answer /api/health within {timeout}; see {logPath}:\n{Tail}");
            }

            await Task.Delay(200);
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line.Contains("[1101]", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref busyEvents);
        }

        lock (log)
        {
            log.WriteLine(line);
            tail.Enqueue(line);
            if (tail.Count > 40)
            {
                tail.Dequeue();
            }
        }
    }

    /// <summary>The Functions worker processes under it (command line contains <c>BotRouter.Functions.dll</c>).</summary>
    public IReadOnlyList<int> WorkerPids() =>
        Tree(process.Id).Where(pid => pid != process.Id && CommandLine(pid).Contains("BotRouter.Functions.dll", StringComparison.Ordinal)).ToList();

    /// <summary>SIGKILL to its Functions worker (only ever one of ours); the pid killed, or null.</summary>
    public int? KillWorker()
    {
        foreach (var pid in WorkerPids())
        {
            try
            {
                using var worker = Process.GetProcessById(pid);
                worker.Kill(); // SIGKILL
                return pid;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }

        return null;
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>CPU time (user + system, ms) used so far by a process and its descendants.</summary>
    public static double CpuMs(IEnumerable<int> pids)
    {
        double ticks = 0;
        foreach (var pid in pids)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }

        return ticks * 10.0; // USER_HZ = 100 on Linux
    }

    public double CpuMs() => CpuMs(Tree(process.Id));

    /// <summary>The node process (Azurite) started by this benchmark.</summary>
    public static int[] AzuritePids() =>
        Tree(Environment.ProcessId).Where(pid => pid != Environment.ProcessId && SafeComm(pid) == "node").ToArray();

    private static string SafeComm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>Peak resident set (VmHWM, KiB) of the app and every descendant (a Functions host runs the worker as a child).</summary>
    public long PeakWorkingSetKiB()
    {
        long total = 0;
        foreach (var pid in Tree(process.Id))
        {
            total += ReadStatus(pid, "VmHWM:");
        }

        return total;
    }

    private static long ReadStatus(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    internal static List<int> Tree(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        var result = new List<int> { root };
        for (var i = 0; i < result.Count; i++)
        {
            result.AddRange(parents.Where(kv => kv.Value == result[i]).Select(kv => kv.Key));
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        lock (log)
        {
            log.Flush();
        }

        await log.DisposeAsync();
        process.Dispose();
    }
}
