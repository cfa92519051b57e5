using System.Diagnostics;
using System.Globalization;

namespace BotRouter.Soak;

/// <summary>
/// One instance of the run command (<c>dotnet BotRouter.DevHost.dll</c>, what <c>dotnet run --project
/// tools/BotRouter.DevHost</c> runs) as its own process, output to a log file. Disposing kills it and its children.
/// </summary>
public sealed class SoakApp : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private readonly Queue<string> tail = new();

    private SoakApp(Process process, StreamWriter log, string url)
    {
        this.process = process;
        this.log = log;
        Url = url;
    }

    public string Url { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public string Tail
    {
        get
        {
            lock (tail)
            {
                return string.Join('\n', tail);
            }
        }
    }

    public static async Task<SoakApp> StartAsync(string devHostDll, string root, IReadOnlyDictionary<string, string> environment, string logPath, HttpClient http, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(devHostDll);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the run command");
        var app = new SoakApp(process, new StreamWriter(logPath) { AutoFlush = true }, environment["DevHost__Urls"]);
        process.OutputDataReceived += (_, e) => app.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => app.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var health = await http.GetAsync(new Uri(app.Url + "/api/health"));
                if (health.IsSuccessStatusCode)
                {
                    return app;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (process.HasExited || deadline.Elapsed > timeout)
            {
                var tail = app.Tail;
                await app.DisposeAsync();
                throw new InvalidOperationException($"the run command at {app.Url} did not become healthy within {timeout} (see {logPath}):\n{tail}");
            }

            await Task.Delay(250);
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (tail)
        {
            log.WriteLine(line);
            tail.Enqueue(line);
            if (tail.Count > 40)
            {
                tail.Dequeue();
            }
        }
    }

    /// <summary>The Functions worker processes under this run command (command line contains <c>BotRouter.Functions.dll</c>).</summary>
    public IReadOnlyList<int> WorkerPids() => Descendants(process.Id).Where(pid => CommandLine(pid).Contains("BotRouter.Functions.dll", StringComparison.Ordinal)).ToList();

    /// <summary>SIGKILL to this run command's Functions worker (only ever one of ours); the pid killed, or null.</summary>
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

    private static List<int> Descendants(int root)
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
                parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
            }
        }

        var result = new List<int>();
        var frontier = new List<int> { root };
        while (frontier.Count > 0)
        {
            var next = parents.Where(kv => frontier.Contains(kv.Value)).Select(kv => kv.Key).ToList();
            result.AddRange(next);
            frontier = next;
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

        lock (tail)
        {
            log.Dispose();
        }

        process.Dispose();
    }
}
