namespace BotRouter.Core.Chats;

/// <summary>Wakes a processor for a chat. Signals are idempotent: extra ones find nothing to do.</summary>
public interface IWorkSignals
{
    Task SignalAsync(ChatId chatId, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Parks the chat's signal in the poison queue, for an operator to look at and replay.</summary>
    Task PoisonAsync(ChatId chatId, CancellationToken cancellationToken);
}
