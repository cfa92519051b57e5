using BotRouter.Core.Routing;

namespace BotRouter.Core.Chats;

/// <summary>One atomic step of a chat's processing.</summary>
/// <param name="Done">Outbox calls finished (sent, suppressed) since the last commit.</param>
/// <param name="Handled">The inbox item this commit consumes, if any.</param>
/// <param name="Added">Calls decided for <paramref name="Handled"/>, appended to the outbox in order.</param>
/// <param name="Release">True to let go of the chat in the same commit; false to hold it for more work.</param>
public sealed record ChatCommit(ChatState State, IReadOnlyList<RouterCall> Done, InboxItem? Handled, IReadOnlyList<RouterCall> Added, bool Release);
