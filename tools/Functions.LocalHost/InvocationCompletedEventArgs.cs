namespace Functions.LocalHost;

/// <summary>Raised after every invocation the host made, successful or not.</summary>
public sealed class InvocationCompletedEventArgs(string functionName, string invocationId, bool succeeded, string? error, long? dequeueCount) : EventArgs
{
    public string FunctionName { get; } = functionName;

    public string InvocationId { get; } = invocationId;

    public bool Succeeded { get; } = succeeded;

    /// <summary>The worker's exception message (or why the invocation could not complete).</summary>
    public string? Error { get; } = error;

    /// <summary>For queue triggers: the message's dequeue count on this attempt.</summary>
    public long? DequeueCount { get; } = dequeueCount;
}
