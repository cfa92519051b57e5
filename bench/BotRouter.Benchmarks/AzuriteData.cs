namespace BotRouter.Benchmarks;

/// <summary>
/// A fresh directory for Azurite's data, removed at the end. The benchmark and the soak run Azurite on disk, as
/// the run command does: in memory, Azurite's queue garbage collector (every 60 s) deletes each unused extent on
/// its own and re-sorts an index for each one, which stops the emulator for seconds under queue-heavy load.
/// </summary>
public sealed class AzuriteData : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("botrouter-bench-azurite-");

    public string Path => directory.FullName;

    public void Dispose()
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Azurite may still be writing its last save; the directory is in the temp folder.
        }
    }
}
