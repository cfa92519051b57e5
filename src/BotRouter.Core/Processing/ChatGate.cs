using BotRouter.Core.Chats;

namespace BotRouter.Core.Processing;

/// <summary>
/// The chats this process is working on. A second signal for a chat already being processed here costs no
/// storage at all: it leaves a note and completes, and the holder reads the chat once more before it stops.
/// Across processes, the hold in storage does the same job.
/// </summary>
public sealed class ChatGate
{
    private readonly Dictionary<ChatId, bool> working = [];

    /// <summary>True when the caller now works on the chat; false when another caller here already does (it will look again).</summary>
    public bool TryEnter(ChatId chatId)
    {
        lock (working)
        {
            if (working.ContainsKey(chatId))
            {
                working[chatId] = true;
                return false;
            }

            working[chatId] = false;
            return true;
        }
    }

    /// <summary>True when work was announced meanwhile (the caller keeps the chat and looks again); false when it let go.</summary>
    public bool LookAgainOrLeave(ChatId chatId)
    {
        lock (working)
        {
            if (working.TryGetValue(chatId, out var again) && again)
            {
                working[chatId] = false;
                return true;
            }

            working.Remove(chatId);
            return false;
        }
    }

    /// <summary>Lets go of the chat whatever was announced (the caller failed: the queue retries its signal).</summary>
    public void Leave(ChatId chatId)
    {
        lock (working)
        {
            working.Remove(chatId);
        }
    }
}
