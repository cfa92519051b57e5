using System.Diagnostics;
using BotRouter.DevHost;

namespace BotRouter.IntegrationTests;

/// <summary>A missing required setting stops the run command at once, with one line naming it.</summary>
public sealed class DevHostStartupTests
{
    [Fact]
    public async Task A_missing_account_id_stops_start_up_with_one_line_naming_the_setting()
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = RepositoryRoot.Find(), RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BotRouter.DevHost.dll"));
        start.Environment["BotRouter__AccountId"] = string.Empty;
        start.Environment["DevHost__Azurite"] = "false";

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, process.ExitCode);
        Assert.Equal(["Missing required setting BotRouter__AccountId (the BotRouterAccountId GUID CM gave you)."], error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
