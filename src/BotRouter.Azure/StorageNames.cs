namespace BotRouter.Azure;

/// <summary>The storage resources the app uses; infra/ creates the same ones in Azure.</summary>
public static class StorageNames
{
    /// <summary>The setting (connection string, or <c>__accountName</c>/<c>__*ServiceUri</c> for identity) of the app's storage.</summary>
    public const string Connection = "AzureWebJobsStorage";

    public const string InboundQueue = "inbound";
    public const string RouterCommandsQueue = "router-commands";
    public const string PoisonSuffix = "-poison";
    public const string ChatsTable = "chats";
    public const string PayloadsContainer = "payloads";

    public static string QueueOf(Core.Chats.WorkStage stage) => stage switch
    {
        Core.Chats.WorkStage.Inbound => InboundQueue,
        Core.Chats.WorkStage.RouterCommands => RouterCommandsQueue,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, null),
    };
}
