namespace BotRouter.Azure;

/// <summary>A continuation token this app did not hand out.</summary>
public sealed class InvalidContinuationTokenException(Exception inner) : Exception("The continuation token is not one this API handed out.", inner);
