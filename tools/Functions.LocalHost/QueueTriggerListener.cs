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

    private readonly FunctionDescriptor _function;
    private readonly BindingDescriptor _trigger;
    private readonly QueueTriggerOptions _options;
    private readonly QueueClientFactory _queues;
    private readonly WorkerSupervisor _supervisor;
    private readonly OutputBindings _outputs;
    private readonly QueueWatcher _watcher;
    private readonly TimeSpan? _functionTimeout;

    // Released by the watcher; the empty-queue wait ends early when it is signalled.
    private readonly SemaphoreSlim _wake = new(0, 1);
    private IDisposable? _watcherRegistration;
    private bool _queueMissing;
    private long _sleepingUntilTicks;
    private readonly ILogger _logger;
    private readonly string _queueName;
    private readonly string? _connection;
    private readonly CancellationTokenSource _stopPolling = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly ConcurrentDictionary<string, Task> _inFlight = new();
    private readonly SemaphoreSlim _drained = new(0);
    private Task? _loop;
    private int _peakConcurrency;

    private readonly Action<InvocationCompletedEventArgs> _completed;

    public QueueTriggerListener(FunctionDescriptor function, QueueTriggerOptions options, TimeSpan? functionTimeout, QueueClientFactory queues, QueueWatcher watcher, WorkerSupervisor supervisor, OutputBindings outputs, Action<InvocationCompletedEventArgs> completed, ILogger logger)
    {
        _functionTimeout = functionTimeout;
        _watcher = watcher;
        _completed = completed;
        _function = function;
        _trigger = function.Trigger ?? throw new ArgumentException("Function has no trigger.", nameof(function));
        _options = options;
        _queues = queues;
        _supervisor = supervisor;
        _outputs = outputs;
        _logger = logger;
        _queueName = _trigger.GetString("queueName") ?? throw new InvalidOperationException($"Queue trigger of {function.Name} has no queueName.");
        _connection = _trigger.GetString("connection");
    }

    public string QueueName => _queueName;

    /// <summary>Messages being processed right now.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>Most invocations this listener had in flight at once.</summary>
    public int PeakConcurrency => Volatile.Read(ref _peakConcurrency);

    /// <summary>While the listener waits for an empty (or missing) queue: when it will poll next unless woken.</summary>
    internal DateTimeOffset? SleepingUntil => Interlocked.Read(ref _sleepingUntilTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Fail start-up early when the connection is wrong rather than log from a background loop;
        // a queue that does not exist yet is fine (the extension waits for it, it never creates it).
        var queue = _queues.CreateClient(_connection, _queueName);
        if (!await queue.ExistsAsync(cancellationToken))
        {
            _queueMissing = true;
            Log.QueueMissing(_logger, _function.Name, _queueName);
        }

        _watcherRegistration = _watcher.Register(_queueName, Wake);
        _loop = Task.Run(() => PollAsync(queue, _stopPolling.Token), CancellationToken.None);
    }

    /// <summary>This host just enqueued to the queue: poll now and restart the back-off.</summary>
    private void Wake()
    {
        try
        {
            _wake.Release();
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
        Interlocked.Exchange(ref _sleepingUntilTicks, (DateTimeOffset.UtcNow + delay).UtcTicks);
        try
        {
            return await _wake.WaitAsync(delay, stop);
        }
        finally
        {
            Interlocked.Exchange(ref _sleepingUntilTicks, 0);
        }
    }

    private async Task PollAsync(QueueClient queue, CancellationToken stop)
    {
        var delay = _options.MinPollingInterval;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // newBatchThreshold: only fetch again once in-flight work has drained to the threshold.
                while (_inFlight.Count > _options.NewBatchThreshold)
                {
                    await _drained.WaitAsync(stop);
                }

                QueueMessage[] messages;
                try
                {
                    messages = (await queue.ReceiveMessagesAsync(_options.BatchSize, LeaseTime, stop)).Value;
                    if (_queueMissing)
                    {
                        _queueMissing = false;
                        Log.QueueAppeared(_logger, _function.Name, _queueName);
                    }
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    // Not created yet (or deleted): like an empty queue, keep polling with back-off.
                    if (!_queueMissing)
                    {
                        _queueMissing = true;
                        Log.QueueMissing(_logger, _function.Name, _queueName);
                    }

                    messages = [];
                }

                if (messages.Length == 0)
                {
                    delay = await SleepAsync(delay, stop)
                        ? _options.MinPollingInterval
                        : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxPollingInterval.Ticks));
                    continue;
                }

                delay = _options.MinPollingInterval;
                foreach (var message in messages)
                {
                    var task = ProcessAsync(queue, message);
                    _inFlight[message.MessageId] = task;
                    var count = _inFlight.Count;
                    int peak;
                    while (count > (peak = Volatile.Read(ref _peakConcurrency)) && Interlocked.CompareExchange(ref _peakConcurrency, count, peak) != peak)
                    {
                    }

                    _ = task.ContinueWith(
                        (_, state) =>
                        {
                            _inFlight.TryRemove((string)state!, out var _);
                            _drained.Release();
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
                Log.QueuePollFailed(_logger, _queueName, ex);
                try
                {
                    await SleepAsync(_options.MaxPollingInterval, stop);
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
        var lease = new Lease(queue, message, LeaseTime, _logger);
        try
        {
            if (message.DequeueCount > _options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(lease, message);
                return;
            }

            if (!_options.TryDecode(message.MessageText, out var text, out var bytes))
            {
                Log.QueueMessageUndecodable(_logger, _queueName, message.MessageId);
                await MoveToPoisonAsync(lease, message);
                return;
            }

            bool succeeded;
            var request = BuildRequest(message, text, bytes, lease.PopReceipt);

            // functionTimeout: cancelling this token sends the worker an InvocationCancel and stops waiting.
            using var invocation = CancellationTokenSource.CreateLinkedTokenSource(_abandon.Token);
            if (_functionTimeout is { } timeout)
            {
                invocation.CancelAfter(timeout);
            }

            WorkerChannel? worker = null;
            try
            {
                worker = await _supervisor.GetReadyWorkerAsync(invocation.Token);
                var response = await worker.InvokeAsync(request, invocation.Token);
                succeeded = response.Result?.Status == StatusResult.Types.Status.Success;
                if (succeeded)
                {
                    await _outputs.ApplyAsync(_function, response, invocation.Token);
                    Log.QueueInvocationSucceeded(_logger, _function.Name, message.MessageId, message.DequeueCount);
                    _completed(new(_function.Name, request.InvocationId, true, null, message.DequeueCount));
                }
                else
                {
                    var error = response.Result?.Exception?.Message ?? "(no message)";
                    Log.QueueInvocationFailed(_logger, _function.Name, message.MessageId, message.DequeueCount, error);
                    _completed(new(_function.Name, request.InvocationId, false, error, message.DequeueCount));
                }
            }
            catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
            {
                // Shutting down past the grace period: hand the message back right away.
                await lease.ReleaseAsync(TimeSpan.Zero);
                return;
            }
            catch (OperationCanceledException) when (invocation.IsCancellationRequested)
            {
                // Timed out: a failed attempt like on Azure (visible again after visibilityTimeout,
                // dequeue count up, poison after maxDequeueCount).
                var error = $"Timeout value of {_functionTimeout:c} exceeded by function '{_function.Name}' (Id: '{request.InvocationId}'). Initiating cancellation.";
                Log.FunctionTimedOut(_logger, _functionTimeout!.Value, _function.Name, request.InvocationId);
                _completed(new(_function.Name, request.InvocationId, false, error, message.DequeueCount));
                succeeded = false;
                if (worker is not null)
                {
                    _ = _supervisor.OnInvocationTimedOutAsync(worker, request.InvocationId);
                }
            }
            catch (Exception ex) when (ex is WorkerUnavailableException or RequestFailedException or InvalidOperationException or NotSupportedException)
            {
                // E.g. the worker died mid-invocation: a failed attempt like any other.
                Log.QueueInvocationFailed(_logger, _function.Name, message.MessageId, message.DequeueCount, ex.Message);
                _completed(new(_function.Name, request.InvocationId, false, ex.Message, message.DequeueCount));
                succeeded = false;
            }

            if (succeeded)
            {
                await lease.DeleteAsync();
            }
            else if (message.DequeueCount >= _options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(lease, message);
            }
            else
            {
                await lease.ReleaseAsync(_options.VisibilityTimeout);
            }
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or OperationCanceledException)
        {
            // The message stays invisible until its lease runs out, then it is retried.
            Log.QueueMessageHandlingFailed(_logger, _queueName, message.MessageId, ex);
        }
        finally
        {
            await lease.DisposeAsync();
        }
    }

    private async Task MoveToPoisonAsync(Lease lease, QueueMessage message)
    {
        var poisonName = _queueName + "-poison";
        var poison = await _queues.GetAsync(_connection, poisonName, CancellationToken.None);

        // The text is copied as stored, so it keeps the queue's encoding.
        await poison.SendMessageAsync(message.MessageText, CancellationToken.None);
        await lease.DeleteAsync();
        Log.QueueMessagePoisoned(_logger, message.MessageId, _queueName, poisonName, message.DequeueCount);
    }

    private InvocationRequest BuildRequest(QueueMessage message, string text, byte[] bytes, string popReceipt)
    {
        var request = new InvocationRequest
        {
            InvocationId = Guid.NewGuid().ToString(),
            FunctionId = _function.Id,

            // The dotnet worker reads the trace context unconditionally; the real host always sends one.
            TraceContext = new RpcTraceContext(),
        };

        TypedData data;
        if (_trigger.SupportsDeferredBinding)
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
            data = _trigger.DataType == BindingInfo.Types.DataType.Binary
                ? new TypedData { Bytes = ByteString.CopyFrom(bytes) }
                : new TypedData { String = text };
        }

        request.InputData.Add(new ParameterBinding { Name = _trigger.Name, Data = data });

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
        _watcherRegistration?.Dispose();
        await _stopPolling.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        var pending = Task.WhenAll(_inFlight.Values);
        if (await Task.WhenAny(pending, Task.Delay(gracePeriod)) != pending)
        {
            Log.QueueAbandoning(_logger, _queueName, _inFlight.Count);
            await _abandon.CancelAsync();
            await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(5)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _watcherRegistration?.Dispose();
        _wake.Dispose();
        _stopPolling.Dispose();
        _abandon.Dispose();
        _drained.Dispose();
    }

    /// <summary>Keeps a received message invisible while it is processed, tracking its latest pop receipt.</summary>
    private sealed class Lease : IAsyncDisposable
    {
        private readonly QueueClient _queue;
        private readonly QueueMessage _message;
        private readonly ILogger _logger;
        private readonly CancellationTokenSource _stop = new();
        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly Task _renewal;
        private bool _settled;

        public Lease(QueueClient queue, QueueMessage message, TimeSpan leaseTime, ILogger logger)
        {
            _queue = queue;
            _message = message;
            _logger = logger;
            PopReceipt = message.PopReceipt;
            _renewal = RenewAsync(leaseTime, _stop.Token);
        }

        public string PopReceipt { get; private set; }

        private async Task RenewAsync(TimeSpan leaseTime, CancellationToken cancellationToken)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(leaseTime / 2, cancellationToken);
                    await _gate.WaitAsync(cancellationToken);
                    try
                    {
                        if (_settled)
                        {
                            return;
                        }

                        var receipt = await _queue.UpdateMessageAsync(_message.MessageId, PopReceipt, visibilityTimeout: leaseTime, cancellationToken: cancellationToken);
                        PopReceipt = receipt.Value.PopReceipt;
                    }
                    finally
                    {
                        _gate.Release();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (RequestFailedException ex)
            {
                Log.QueueLeaseLost(_logger, _message.MessageId, ex.Message);
            }
        }

        public Task DeleteAsync() => SettleAsync(() => _queue.DeleteMessageAsync(_message.MessageId, PopReceipt));

        public Task ReleaseAsync(TimeSpan visibilityTimeout) =>
            SettleAsync(() => _queue.UpdateMessageAsync(_message.MessageId, PopReceipt, visibilityTimeout: visibilityTimeout));

        private async Task SettleAsync(Func<Task> action)
        {
            await _gate.WaitAsync();
            try
            {
                if (_settled)
                {
                    return;
                }

                _settled = true;
                await action();
            }
            finally
            {
                _gate.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _renewal;
            _stop.Dispose();
            _gate.Dispose();
        }
    }
}
