namespace BotRouter.Core.Chats;

/// <summary>Random GUIDs: the ids the app uses outside tests.</summary>
public sealed class GuidIdSource : IIdSource
{
    public string NewId() => Guid.NewGuid().ToString("N");
}
