using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Functions.LocalHost.Rpc;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>
/// Polls one queueTrigger's queue with the Storage extension's semantics: receive up to
/// batchSize, fetch again once in-flight work drops to newBatchThreshold, back off
/// exponentially up to maxPollingInterval while empty, delete on success, make visible again
/// after visibilityTimeout on failure (a timed-out invocation is a failure), and move to
/// &lt;queue&gt;-poison after maxDequeueCount. An enqueue by this host's own output bindings wakes it
/// at once (SharedQueueWatcher); a missing queue is waited for, not created.
/// </summary>
internal sealed class QueueTriggerListener : IAsyncDisposable
{
    // Messages are held invisible while processed and the lease renewed at half-time, so a host
    // that dies leaves them to reappear after this long rather than after 10 minutes.
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(60);

    private readonly FunctionDescriptor function;
    private readonly BindingDescriptor trigger;
    private readonly QueueTriggerOptions options;
    private readonly QueueClientFactory queues;
    private readonly WorkerSupervisor supervisor;
    private readonly OutputBindings outputs;
    private readonly QueueWatcher watcher;
    private readonly TimeSpan? functionTimeout;

    // Released by the watcher; the empty-queue wait ends early when it is signalled.
    private readonly SemaphoreSlim wake = new(0, 1);
    private IDisposable? watcherRegistration;
    private bool queueMissing;
    private long sleepingUntilTicks;
    private readonly ILogger logger;
    private readonly string queueName;
    private readonly string? connection;
    private readonly CancellationTokenSource stopPolling = new();
    private readonly CancellationTokenSource abandon = new();
    private readonly ConcurrentDictionary<string, Task> inFlight = new();
    private readonly SemaphoreSlim drained = new(0);
    private Task? loop;
    private int peakConcurrency;

    private readonly Action<InvocationCompletedEventArgs> completed;

    public QueueTriggerListener(FunctionDescriptor function, QueueTriggerOptions options, TimeSpan? functionTimeout, QueueClientFactory queues, QueueWatcher watcher, WorkerSupervisor supervisor, OutputBindings outputs, Action<InvocationCompletedEventArgs> completed, ILogger logger)
    {
        this.functionTimeout = functionTimeout;
        this.watcher = watcher;
        this.completed = completed;
        this.function = function;
        this.trigger = function.Trigger ?? throw new ArgumentException("Function has no trigger.", nameof(function));
        this.options = options;
        this.queues = queues;
        this.supervisor = supervisor;
        this.outputs = outputs;
        this.logger = logger;
        this.queueName = this.trigger.GetString("queueName") ?? throw new InvalidOperationException($"Queue trigger of {function.Name} has no queueName.");
        this.connection = this.trigger.GetString("connection");
    }

    public string QueueName => this.queueName;

    /// <summary>Messages being processed right now.</summary>
    public int InFlight => inFlight.Count;

    /// <summary>Most invocations this listener had in flight at once.</summary>
    public int PeakConcurrency => Volatile.Read(ref peakConcurrency);

    /// <summary>While the listener waits for an empty (or missing) queue: when it will poll next unless woken.</summary>
    internal DateTimeOffset? SleepingUntil => Interlocked.Read(ref sleepingUntilTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Fail start-up early when the connection is wrong rather than log from a background loop;
        // a queue that does not exist yet is fine (the extension waits for it, it never creates it).
        var queue = this.queues.CreateClient(this.connection, this.queueName);
        if (!await queue.ExistsAsync(cancellationToken))
        {
            queueMissing = true;
            Log.QueueMissing(this.logger, this.function.Name, this.queueName);
        }

        watcherRegistration = this.watcher.Register(this.queueName, Wake);
        this.loop = Task.Run(() => PollAsync(queue, stopPolling.Token), CancellationToken.None);
    }

    /// <summary>This host just enqueued to the queue: poll now and restart the back-off.</summary>
    private void Wake()
    {
        try
        {
            wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
        catch (ObjectDisposedException)
        {
            // Stopped.
        }
    }

    /// <summary>Waits out the back-off; true when woken by an enqueue of this host.</summary>
    private async Task<bool> SleepAsync(TimeSpan delay, CancellationToken stop)
    {
        Interlocked.Exchange(ref sleepingUntilTicks, (DateTimeOffset.UtcNow + delay).UtcTicks);
        try
        {
            return await wake.WaitAsync(delay, stop);
        }
        finally
        {
            Interlocked.Exchange(ref sleepingUntilTicks, 0);
        }
    }

    private async Task PollAsync(QueueClient queue, CancellationToken stop)
    {
        var delay = this.options.MinPollingInterval;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // newBatchThreshold: only fetch again once in-flight work has drained to the threshold.
                while (inFlight.Count > this.options.NewBatchThreshold)
                {
                    await this.drained.WaitAsync(stop);
                }

                QueueMessage[] messages;
                try
                {
                    messages = (await queue.ReceiveMessagesAsync(this.options.BatchSize, LeaseTime, stop)).Value;
                    if (queueMissing)
                    {
                        queueMissing = false;
                        Log.QueueAppeared(this.logger, this.function.Name, this.queueName);
                    }
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    // Not created yet (or deleted): like an empty queue, keep polling with back-off.
                    if (!queueMissing)
                    {
                        queueMissing = true;
                        Log.QueueMissing(this.logger, this.function.Name, this.queueName);
                    }

                    messages = [];
                }

                if (messages.Length == 0)
                {
                    delay = await SleepAsync(delay, stop)
                        ? this.options.MinPollingInterval
                        : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, this.options.MaxPollingInterval.Ticks));
                    continue;
                }

                delay = this.options.MinPollingInterval;
                foreach (var message in messages)
                {
                    var task = ProcessAsync(queue, message);
                    inFlight[message.MessageId] = task;
                    var count = inFlight.Count;
                    int peak;
                    while (count > (peak = Volatile.Read(ref peakConcurrency)) && Interlocked.CompareExchange(ref peakConcurrency, count, peak) != peak)
                    {
                    }

                    _ = task.ContinueWith(
                        (_, state) =>
                        {
                            inFlight.TryRemove((string)state!, out var _);
                            this.drained.Release();
                        },
                        message.MessageId,
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or AggregateException or IOException)
            {
                Log.QueuePollFailed(this.logger, this.queueName, ex);
                try
                {
                    await SleepAsync(this.options.MaxPollingInterval, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueMessage message)
    {
        // Leave the polling loop at once; the work runs on the thread pool.
        await Task.Yield();
        var lease = new Lease(queue, message, LeaseTime, this.logger);
        try
        {
            if (message.DequeueCount > this.options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(lease, message);
                return;
            }

            if (!this.options.TryDecode(message.MessageText, out var text, out var bytes))
            {
                Log.QueueMessageUndecodable(this.logger, this.queueName, message.MessageId);
                await MoveToPoisonAsync(lease, message);
                return;
            }

            bool succeeded;
            var request = BuildRequest(message, text, bytes, lease.PopReceipt);

            // functionTimeout: cancelling this token sends the worker an InvocationCancel and stops waiting.
            using var invocation = CancellationTokenSource.CreateLinkedTokenSource(abandon.Token);
            if (this.functionTimeout is { } timeout)
            {
                invocation.CancelAfter(timeout);
            }

            WorkerChannel? worker = null;
            try
            {
                worker = await this.supervisor.GetReadyWorkerAsync(invocation.Token);
                var response = await worker.InvokeAsync(request, invocation.Token);
                succeeded = response.Result?.Status == StatusResult.Types.Status.Success;
                if (succeeded)
                {
                    await this.outputs.ApplyAsync(this.function, response, invocation.Token);
                    Log.QueueInvocationSucceeded(this.logger, this.function.Name, message.MessageId, message.DequeueCount);
                    this.completed(new(this.function.Name, request.InvocationId, true, null, message.DequeueCount));
                }
                else
                {
                    var error = response.Result?.Exception?.Message ?? "(no message)";
                    Log.QueueInvocationFailed(this.logger, this.function.Name, message.MessageId, message.DequeueCount, error);
                    this.completed(new(this.function.Name, request.InvocationId, false, error, message.DequeueCount));
                }
            }
            catch (OperationCanceledException) when (abandon.IsCancellationRequested)
            {
                // Shutting down past the grace period: hand the message back right away.
                await lease.ReleaseAsync(TimeSpan.Zero);
                return;
            }
            catch (OperationCanceledException) when (invocation.IsCancellationRequested)
            {
                // Timed out: a failed attempt like on Azure (visible again after visibilityTimeout,
                // dequeue count up, poison after maxDequeueCount).
                var error = $"Timeout value of {this.functionTimeout:c} exceeded by function '{this.function.Name}' (Id: '{request.InvocationId}'). Initiating cancellation.";
                Log.FunctionTimedOut(this.logger, this.functionTimeout!.Value, this.function.Name, request.InvocationId);
                this.completed(new(this.function.Name, request.InvocationId, false, error, message.DequeueCount));
                succeeded = false;
                if (worker is not null)
                {
                    _ = this.supervisor.OnInvocationTimedOutAsync(worker, request.InvocationId);
                }
            }
            catch (Exception ex) when (ex is WorkerUnavailableException or RequestFailedException or InvalidOperationException or NotSupportedException)
            {
                // E.g. the worker died mid-invocation: a failed attempt like any other.
                Log.QueueInvocationFailed(this.logger, this.function.Name, message.MessageId, message.DequeueCount, ex.Message);
                this.completed(new(this.function.Name, request.InvocationId, false, ex.Message, message.DequeueCount));
                succeeded = false;
            }

            if (succeeded)
            {
                await lease.DeleteAsync();
            }
            else if (message.DequeueCount >= this.options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(lease, message);
            }
            else
            {
                await lease.ReleaseAsync(this.options.VisibilityTimeout);
            }
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or OperationCanceledException)
        {
            // The message stays invisible until its lease runs out, then it is retried.
            Log.QueueMessageHandlingFailed(this.logger, this.queueName, message.MessageId, ex);
        }
        finally
        {
            await lease.DisposeAsync();
        }
    }

    private async Task MoveToPoisonAsync(Lease lease, QueueMessage message)
    {
        var poisonName = this.queueName + "-poison";
        var poison = await this.queues.GetAsync(this.connection, poisonName, CancellationToken.None);

        // The text is copied as stored, so it keeps the queue's encoding.
        await poison.SendMessageAsync(message.MessageText, CancellationToken.None);
        await lease.DeleteAsync();
        Log.QueueMessagePoisoned(this.logger, message.MessageId, this.queueName, poisonName, message.DequeueCount);
    }

    private InvocationRequest BuildRequest(QueueMessage message, string text, byte[] bytes, string popReceipt)
    {
        var request = new InvocationRequest
        {
            InvocationId = Guid.NewGuid().ToString(),
            FunctionId = this.function.Id,

            // The dotnet worker reads the trace context unconditionally; the real host always sends one.
            TraceContext = new RpcTraceContext(),
        };

        TypedData data;
        if (this.trigger.SupportsDeferredBinding)
        {
            // SDK-type binding (QueueMessage / BinaryData / JsonElement parameters): the worker's
            // queue converters read a JSON QueueMessage from ModelBindingData with this source.
            var content = JsonSerializer.SerializeToUtf8Bytes(new
            {
                message.MessageId,
                PopReceipt = popReceipt,
                MessageText = text,
                message.DequeueCount,
                message.NextVisibleOn,
                message.InsertedOn,
                message.ExpiresOn,
            });
            data = new TypedData
            {
                ModelBindingData = new ModelBindingData
                {
                    Version = "1.0",
                    Source = "AzureStorageQueues",
                    ContentType = "application/json",
                    Content = ByteString.CopyFrom(content),
                },
            };
        }
        else
        {
            data = this.trigger.DataType == BindingInfo.Types.DataType.Binary
                ? new TypedData { Bytes = ByteString.CopyFrom(bytes) }
                : new TypedData { String = text };
        }

        request.InputData.Add(new ParameterBinding { Name = this.trigger.Name, Data = data });

        // Binding data as the Storage extension exposes it, converted the way the real host's
        // ToRpc does: strings stay strings, everything else (long, DateTimeOffset) becomes JSON.
        request.TriggerMetadata["QueueTrigger"] = new TypedData { String = text };
        request.TriggerMetadata["Id"] = new TypedData { String = message.MessageId };
        request.TriggerMetadata["PopReceipt"] = new TypedData { String = popReceipt };
        request.TriggerMetadata["DequeueCount"] = new TypedData { Json = message.DequeueCount.ToString(CultureInfo.InvariantCulture) };
        AddTime(request, "InsertionTime", message.InsertedOn);
        AddTime(request, "ExpirationTime", message.ExpiresOn);
        AddTime(request, "NextVisibleTime", message.NextVisibleOn);
        if (data.DataCase == TypedData.DataOneofCase.String)
        {
            AddMessageProperties(request, text);
        }

        return request;
    }

    /// <summary>
    /// The host (WorkerFunctionInvoker.ApplyBindingData) adds the top-level properties of a JSON
    /// object message to the binding data, over the built-in names: arrays and nulls are left out,
    /// objects stay JSON, everything else becomes its string form (as Newtonsoft's (string)JToken).
    /// </summary>
    private static void AddMessageProperties(InvocationRequest request, string text)
    {
        if (!text.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal))
        {
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            // Not JSON after all: not an error, the message is just text.
            return;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                TypedData? value = property.Value.ValueKind switch
                {
                    JsonValueKind.Object => new TypedData { Json = property.Value.GetRawText() },
                    JsonValueKind.String => new TypedData { String = property.Value.GetString() },
                    JsonValueKind.Number => new TypedData { String = property.Value.GetRawText() },
                    JsonValueKind.True => new TypedData { String = bool.TrueString },
                    JsonValueKind.False => new TypedData { String = bool.FalseString },
                    _ => null,
                };
                if (value is null)
                {
                    continue;
                }

                // The host's binding data is case-insensitive: "id" replaces the value of "Id" under its original name.
                var key = request.TriggerMetadata.Keys.FirstOrDefault(k => string.Equals(k, property.Name, StringComparison.OrdinalIgnoreCase)) ?? property.Name;
                request.TriggerMetadata[key] = value;
            }
        }
    }

    private static void AddTime(InvocationRequest request, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            request.TriggerMetadata[name] = new TypedData { Json = JsonSerializer.Serialize(time) };
        }
    }

    /// <summary>Stops fetching, lets in-flight messages finish within the grace period, then abandons the rest.</summary>
    public async Task StopAsync(TimeSpan gracePeriod)
    {
        watcherRegistration?.Dispose();
        await stopPolling.CancelAsync();
        if (this.loop is not null)
        {
            await this.loop;
        }

        var pending = Task.WhenAll(inFlight.Values);
        if (await Task.WhenAny(pending, Task.Delay(gracePeriod)) != pending)
        {
            Log.QueueAbandoning(this.logger, this.queueName, inFlight.Count);
            await abandon.CancelAsync();
            await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(5)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        watcherRegistration?.Dispose();
        wake.Dispose();
        stopPolling.Dispose();
        abandon.Dispose();
        this.drained.Dispose();
    }

    /// <summary>Keeps a received message invisible while it is processed, tracking its latest pop receipt.</summary>
    private sealed class Lease : IAsyncDisposable
    {
        private readonly QueueClient queue;
        private readonly QueueMessage message;
        private readonly ILogger logger;
        private readonly CancellationTokenSource stop = new();
        private readonly SemaphoreSlim gate = new(1, 1);
        private readonly Task renewal;
        private bool settled;

        public Lease(QueueClient queue, QueueMessage message, TimeSpan leaseTime, ILogger logger)
        {
            this.queue = queue;
            this.message = message;
            this.logger = logger;
            PopReceipt = message.PopReceipt;
            renewal = RenewAsync(leaseTime, this.stop.Token);
        }

        public string PopReceipt { get; private set; }

        private async Task RenewAsync(TimeSpan leaseTime, CancellationToken cancellationToken)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(leaseTime / 2, cancellationToken);
                    await gate.WaitAsync(cancellationToken);
                    try
                    {
                        if (settled)
                        {
                            return;
                        }

                        var receipt = await this.queue.UpdateMessageAsync(this.message.MessageId, PopReceipt, visibilityTimeout: leaseTime, cancellationToken: cancellationToken);
                        PopReceipt = receipt.Value.PopReceipt;
                    }
                    finally
                    {
                        gate.Release();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (RequestFailedException ex)
            {
                Log.QueueLeaseLost(this.logger, this.message.MessageId, ex.Message);
            }
        }

        public Task DeleteAsync() => SettleAsync(() => this.queue.DeleteMessageAsync(this.message.MessageId, PopReceipt));

        public Task ReleaseAsync(TimeSpan visibilityTimeout) =>
            SettleAsync(() => this.queue.UpdateMessageAsync(this.message.MessageId, PopReceipt, visibilityTimeout: visibilityTimeout));

        private async Task SettleAsync(Func<Task> action)
        {
            await gate.WaitAsync();
            try
            {
                if (settled)
                {
                    return;
                }

                settled = true;
                await action();
            }
            finally
            {
                gate.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await this.stop.CancelAsync();
            await renewal;
            this.stop.Dispose();
            gate.Dispose();
        }
    }
}
