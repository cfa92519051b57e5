namespace BotRouter.Core.Chats;

/// <summary>Another processor committed to the chat since it was read (or took it after the hold ran out).</summary>
public sealed class LeaseLostException(ChatId chatId)
    : Exception($"Chat {chatId} was changed by another processor.");
