namespace BotRouter.Core.Chats;

/// <summary>The store could not be reached or refused the request.</summary>
public sealed class StorageUnavailableException(string message, Exception inner) : Exception(message, inner);
