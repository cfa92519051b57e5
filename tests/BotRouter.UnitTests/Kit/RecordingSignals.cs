using BotRouter.Core.Chats;

namespace BotRouter.UnitTests.Kit;

/// <summary>The signals port in memory: records wake-ups and parked chats.</summary>
public sealed class RecordingSignals : IWorkSignals
{
    public List<(ChatId ChatId, TimeSpan Delay)> Signals { get; } = [];

    public List<ChatId> Poisoned { get; } = [];

    public Task SignalAsync(ChatId chatId, TimeSpan delay, CancellationToken cancellationToken)
    {
        lock (Signals)
        {
            Signals.Add((chatId, delay));
        }

        return Task.CompletedTask;
    }

    public Task PoisonAsync(ChatId chatId, CancellationToken cancellationToken)
    {
        lock (Poisoned)
        {
            Poisoned.Add(chatId);
        }

        return Task.CompletedTask;
    }
}
