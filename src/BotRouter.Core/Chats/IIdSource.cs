namespace BotRouter.Core.Chats;

/// <summary>Unique ids (reply references, inbox keys) from one place, so tests can control them.</summary>
public interface IIdSource
{
    string NewId();
}
