namespace BotRouter.Azure;

/// <summary>The storage resources the app uses; infra/ creates the same ones in Azure.</summary>
public static class StorageNames
{
    /// <summary>The setting (connection string, or <c>__accountName</c>/<c>__*ServiceUri</c> for identity) of the app's storage.</summary>
    public const string Connection = "AzureWebJobsStorage";

    public const string InboundQueue = "inbound";
    public const string PoisonSuffix = "-poison";
    public const string ChatsTable = "chats";
    public const string PayloadsContainer = "payloads";
}
