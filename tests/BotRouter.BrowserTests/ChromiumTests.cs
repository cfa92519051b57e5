using BotRouter.BrowserTests.Infrastructure;

namespace BotRouter.BrowserTests;

/// <summary>When the browser tests install chromium, and the message when they cannot. Nothing here runs apt-get.</summary>
public sealed class ChromiumTests
{
    private static readonly string Missing = Path.Combine(Path.GetTempPath(), $"no-chromium-{Guid.NewGuid():N}");

    [Fact]
    public async Task An_installed_chromium_is_used_as_it_is()
    {
        var existing = typeof(ChromiumTests).Assembly.Location;
        var path = await Chromium.EnsureInstalledAsync(null, existing, Missing, TextWriter.Null, TestContext.Current.CancellationToken);
        Assert.Equal(existing, path);
    }

    [Fact]
    public async Task A_configured_path_wins_and_must_exist()
    {
        var existing = typeof(ChromiumTests).Assembly.Location;
        Assert.Equal(existing, await Chromium.EnsureInstalledAsync(existing, Missing, Missing, TextWriter.Null, TestContext.Current.CancellationToken));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Chromium.EnsureInstalledAsync(Missing, existing, Missing, TextWriter.Null, TestContext.Current.CancellationToken));
        Assert.Contains(Chromium.PathVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_chromium_and_without_apt_get_the_message_says_what_to_do()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Chromium.EnsureInstalledAsync(null, Missing, Missing, TextWriter.Null, TestContext.Current.CancellationToken));
        Assert.Contains("apt-get install -y chromium", error.Message, StringComparison.Ordinal);
        Assert.Contains(Chromium.PathVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_apt_get_fails_with_its_output_and_what_to_do()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("apt-get is only tried on Linux");
            return;
        }

        var fakeAptGet = Path.Combine(Path.GetTempPath(), $"fake-apt-get-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(fakeAptGet, "#!/bin/sh\necho 'E: Could not open lock file - are you root?' >&2\nexit 100\n", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(fakeAptGet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var log = new StringWriter();
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                Chromium.EnsureInstalledAsync(null, Missing, fakeAptGet, log, TestContext.Current.CancellationToken));
            Assert.Contains("installing it with apt-get failed (exit 100)", error.Message, StringComparison.Ordinal);
            Assert.Contains("are you root?", error.Message, StringComparison.Ordinal);
            Assert.Contains("installing it with apt-get", log.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(fakeAptGet);
        }
    }
}
