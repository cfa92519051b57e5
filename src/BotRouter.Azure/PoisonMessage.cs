namespace BotRouter.Azure;

/// <summary>One message that exhausted its retries (or a chat parked on a refused call).</summary>
public sealed record PoisonMessage(string Queue, string Id, string? ChatId, DateTimeOffset? FirstAttemptUtc, DateTimeOffset? LastAttemptUtc, long DequeueCount, string? LastError);

/// <summary>One page of poison messages; <see cref="ContinuationToken"/> asks for the next (null: that was the last).</summary>
public sealed record PoisonPage(IReadOnlyList<PoisonMessage> Messages, string? ContinuationToken);
