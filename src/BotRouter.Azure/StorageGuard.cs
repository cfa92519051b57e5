using Azure;
using BotRouter.Core.Chats;

namespace BotRouter.Azure;

/// <summary>Turns "storage cannot be reached" into <see cref="StorageUnavailableException"/>, leaving meaningful statuses (404, 409, 412) to callers.</summary>
internal static class StorageGuard
{
    public static async Task<T> RunAsync<T>(string what, Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (RequestFailedException e) when (e.Status is 0 or 403 or >= 500)
        {
            throw new StorageUnavailableException($"Storage failed to {what} ({e.Status} {e.ErrorCode}).", e);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is RequestFailedException or HttpRequestException or IOException or TaskCanceledException))
        {
            throw new StorageUnavailableException($"Storage could not be reached to {what}.", e);
        }
        catch (HttpRequestException e)
        {
            throw new StorageUnavailableException($"Storage could not be reached to {what}.", e);
        }
    }

    public static Task RunAsync(string what, Func<Task> operation) =>
        RunAsync(what, async () =>
        {
            await operation();
            return true;
        });
}
