using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BotRouter.DevHost;
using Microsoft.Playwright;

namespace BotRouter.BrowserTests.Infrastructure;

/// <summary>
/// What a user starts: Azurite (in memory, free ports), the dev host as its own process (app + simulator on free
/// ports), and Debian's chromium driven by Playwright. Once for the whole test assembly.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    private const string DevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private const string AccountId = "e17acdef-c918-423d-a01b-1000cd084f6a";
    private readonly Azurite azurite = new();
    private readonly StringBuilder output = new();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private Process? devHost;
    private IPlaywright? playwright;

    public string AppUrl { get; } = $"http://127.0.0.1:{FreePorts.Next()}";

    public string SimulatorUrl { get; } = $"http://127.0.0.1:{FreePorts.Next()}";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Git-ignored: <c>TestResults/screenshots/</c> at the repository root.</summary>
    public string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot.Find(), "TestResults", "screenshots");

    /// <summary>What the dev host wrote so far, for failure messages.</summary>
    public string DevHostOutput
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public async ValueTask InitializeAsync()
    {
        var cancel = TestContext.Current.CancellationToken;
        var log = new StringWriter();
        var chromium = await Chromium.EnsureInstalledAsync(log, cancel);
        Directory.CreateDirectory(ScreenshotDirectory);

        var root = RepositoryRoot.Find();
        var ports = (Blob: FreePorts.Next(), Queue: FreePorts.Next(), Table: FreePorts.Next());
        await azurite.EnsureRunningAsync(root, ports, location: null, log, cancel);
        var storage = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevKey};" +
                      $"BlobEndpoint=http://127.0.0.1:{ports.Blob}/devstoreaccount1;" +
                      $"QueueEndpoint=http://127.0.0.1:{ports.Queue}/devstoreaccount1;" +
                      $"TableEndpoint=http://127.0.0.1:{ports.Table}/devstoreaccount1;";

        StartDevHost(root, storage);
        await WaitUntilReadyAsync(cancel);

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = Chromium.Args,
        });
    }

    private void StartDevHost(string root, string storage)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "BotRouter.DevHost.dll");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["AzureWebJobsStorage"] = storage;
        start.Environment["DevHost__Urls"] = AppUrl;
        start.Environment["Simulator__Urls"] = SimulatorUrl;
        start.Environment["BotRouter__AccountId"] = AccountId;
        start.Environment["BotRouter__ProductToken"] = "browser-test-token";
        devHost = Process.Start(start)!;
        devHost.OutputDataReceived += (_, e) => Append(e.Data);
        devHost.ErrorDataReceived += (_, e) => Append(e.Data);
        devHost.BeginOutputReadLine();
        devHost.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                using var health = await http.GetAsync(new Uri($"{AppUrl}/api/health"), cancel);
                using var console = await http.GetAsync(new Uri($"{SimulatorUrl}/simulator/flows"), cancel);
                if (health.StatusCode == HttpStatusCode.OK && console.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
            {
            }

            if (devHost!.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The dev host did not become ready:\n{DevHostOutput}");
            }

            await Task.Delay(250, cancel);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (devHost is { HasExited: false })
        {
            devHost.Kill(entireProcessTree: true);
            await devHost.WaitForExitAsync();
        }

        devHost?.Dispose();
        await azurite.DisposeAsync();
        http.Dispose();
    }

}
