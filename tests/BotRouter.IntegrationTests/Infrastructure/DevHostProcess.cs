using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using BotRouter.DevHost;

namespace BotRouter.IntegrationTests.Infrastructure;

/// <summary>
/// The run command (<c>BotRouter.DevHost.dll</c>, as <c>dotnet run</c> would start it) as its own process in its own
/// session and process group (via <c>setsid</c>), so a test can crash it the hard way: <c>kill -9 -&lt;pgid&gt;</c>.
/// </summary>
public sealed class DevHostProcess : IAsyncDisposable
{
    private const int Sigkill = 9;
    private const int Sigterm = 15;
    private readonly Process process;
    private readonly StringBuilder output = new();

    private DevHostProcess(Process process)
    {
        this.process = process;
    }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts the run command with these settings as environment variables, in a session of its own.</summary>
    public static DevHostProcess Start(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = RepositoryRoot.Find(), RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BotRouter.DevHost.dll"));
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var result = new DevHostProcess(process);
        process.OutputDataReceived += (_, e) => result.Append(e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // setsid execs in place (the child is not a group leader), so the pid is the run command's and leads its group.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (ProcessGroup(process.Id) != process.Id && !process.HasExited && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        return result;
    }

    /// <summary>Waits until <c>GET /api/health</c> answers 200.</summary>
    public async Task WaitHealthyAsync(string appUrl, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var health = await http.GetAsync($"{appUrl}/api/health");
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The run command did not become healthy within {timeout}:\n{Output}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Asks <paramref name="probe"/> every 200 ms until it finds something; on time-out the failure shows the run's output.</summary>
    public async Task<T> PollAsync<T>(Func<Task<T?>> probe, TimeSpan timeout)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Nothing arrived within {timeout}. Dev host output:\n{Output}");
    }

    /// <summary><c>kill -9 -&lt;pgid&gt;</c>: the run command, its Functions worker and anything else in its group die at once.</summary>
    public async Task KillProcessGroupAsync()
    {
        Assert.Equal(Pid, ProcessGroup(Pid));
        Assert.Equal(0, Signal(-Pid, Sigkill));
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as a service manager stops it; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        Assert.Equal(0, Signal(Pid, Sigterm));
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        return process.ExitCode;
    }

    /// <summary>The Functions worker processes this run command launched (its children running <c>BotRouter.Functions.dll</c>).</summary>
    public IReadOnlyList<int> WorkerPids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == Pid && CommandLine(pid).Contains("BotRouter.Functions.dll", StringComparison.Ordinal))
            .ToList();

    /// <summary>SIGKILL to one process; true when it was sent.</summary>
    public static bool Kill(int pid) => Signal(pid, Sigkill) == 0;

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            if (Signal(-Pid, Sigkill) != 0)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>Field 4 (ppid) or 5 (pgrp) of <c>/proc/pid/stat</c>, after the parenthesised command name.</summary>
    private static int StatField(int pid, int field)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(rest[field - 3], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return -1;
        }
    }

    private static int ParentOf(int pid) => StatField(pid, 4);

    private static int ProcessGroup(int pid) => StatField(pid, 5);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for this one int-only call
    private static extern int Signal(int pid, int signal);
#pragma warning restore SYSLIB1054
}
