using System.Text.Json;
using Functions.LocalHost.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Functions.LocalHost;

/// <summary>
/// Serves httpTrigger routes the way the real host does with the ASP.NET Core integration:
/// an InvocationRequest with an empty RpcHttp goes over gRPC while the HTTP request itself is
/// forwarded to the worker's HttpUri with <c>x-ms-invocation-id</c>; the worker's response is
/// streamed back as it is, except for functions with output bindings the host writes (queue):
/// their response is buffered and only sent once the outputs are durably written (500 if
/// writing them failed), so a 200 means the messages are in their queues.
/// </summary>
internal sealed class HttpTriggerFrontEnd : IDisposable
{
    public const string InvocationIdHeader = "x-ms-invocation-id";

    // Hop-by-hop headers (RFC 9110 7.6.1) and Host are per connection, not forwarded.
    private static readonly HashSet<string> SkippedRequestHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    private static readonly HashSet<string> SkippedResponseHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
    };

    private readonly WorkerSupervisor supervisor;
    private readonly OutputBindings outputs;
    private readonly ILogger logger;
    private readonly HttpMessageInvoker client;
    private int inFlight;

    private readonly Action<InvocationCompletedEventArgs> completed;
    private readonly TimeSpan? functionTimeout;

    public HttpTriggerFrontEnd(WorkerSupervisor supervisor, OutputBindings outputs, TimeSpan? functionTimeout, Action<InvocationCompletedEventArgs> completed, ILogger logger)
    {
        this.functionTimeout = functionTimeout;
        this.completed = completed;
        this.supervisor = supervisor;
        this.outputs = outputs;
        this.logger = logger;
        this.client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),

            // The inbound request's trace headers are forwarded as they are.
            ActivityHeadersPropagator = null,
        });
    }

    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>Maps one endpoint per httpTrigger; returns the routes for the start-up log.</summary>
    public IReadOnlyList<string> MapRoutes(IEndpointRouteBuilder endpoints, IReadOnlyList<FunctionDescriptor> functions, string routePrefix)
    {
        var routes = new List<string>();
        foreach (var function in functions)
        {
            var trigger = function.Trigger;
            if (trigger is null || !string.Equals(trigger.Type, "httpTrigger", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var route = (trigger.GetString("route") ?? function.Name).Trim('/');
            var template = string.IsNullOrEmpty(routePrefix) ? route : $"{routePrefix}/{route}";
            var methods = trigger.GetStrings("methods").Select(m => m.ToUpperInvariant()).ToArray();
            RequestDelegate handler = context => HandleAsync(context, function, trigger);
            var builder = methods.Length == 0
                ? endpoints.Map(template, handler)
                : endpoints.MapMethods(template, methods, handler);
            builder.WithDisplayName(function.Name);
            routes.Add($"{function.Name}: [{(methods.Length == 0 ? "*" : string.Join(',', methods))}] /{template}");
        }

        return routes;
    }

    private async Task HandleAsync(HttpContext context, FunctionDescriptor function, BindingDescriptor trigger)
    {
        Interlocked.Increment(ref inFlight);
        try
        {
            await InvokeAsync(context, function, trigger);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    private async Task InvokeAsync(HttpContext context, FunctionDescriptor function, BindingDescriptor trigger)
    {
        var aborted = context.RequestAborted;
        WorkerChannel worker;
        try
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            wait.CancelAfter(TimeSpan.FromSeconds(30));
            worker = await this.supervisor.GetReadyWorkerAsync(wait.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WorkerUnavailableException)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        if (worker.HttpUri is null)
        {
            // Without ConfigureFunctionsWebApplication() the worker expects the whole request in RpcHttp;
            // this host only implements the ASP.NET Core integration path.
            Log.NoHttpUri(this.logger, function.Name);
            context.Response.StatusCode = StatusCodes.Status501NotImplemented;
            return;
        }

        var invocationId = Guid.NewGuid().ToString();
        var request = BuildInvocationRequest(context, function, trigger, invocationId);

        // The invocation runs until the worker says it is done (or functionTimeout); it must not
        // end just because the client went away after the response started.
        using var invocationCts = new CancellationTokenSource();
        if (this.functionTimeout is { } timeout)
        {
            invocationCts.CancelAfter(timeout);
        }

        var invocation = worker.InvokeAsync(request, invocationCts.Token);
        using var forwardCts = CancellationTokenSource.CreateLinkedTokenSource(aborted, invocationCts.Token);

        using var forward = BuildForwardRequest(context, worker.HttpUri, invocationId);
        HttpResponseMessage? response = null;
        try
        {
            response = await this.client.SendAsync(forward, forwardCts.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            if (!invocationCts.IsCancellationRequested)
            {
                Log.ForwardFailed(this.logger, function.Name, invocationId, ex);
            }

            if (!context.Response.HasStarted && !aborted.IsCancellationRequested)
            {
                context.Response.StatusCode = invocationCts.IsCancellationRequested ? StatusCodes.Status500InternalServerError : StatusCodes.Status502BadGateway;
            }
        }

        if (response is null)
        {
            await CompleteAsync(worker, function, invocationId, invocation, invocationCts);
            return;
        }

        using (response)
        {
            if (OutputBindings.HasHostOutputs(function))
            {
                await RespondAfterOutputsAsync(context, worker, function, invocationId, invocation, invocationCts, response, forwardCts.Token);
                return;
            }

            // The worker answers a function that threw with an empty 200. A bodiless response
            // is therefore held until the invocation outcome is known (it follows within
            // milliseconds), so a failed invocation becomes a 500 as with the real host.
            if (response.Content.Headers.ContentLength == 0 && await HasFailedAsync(invocation))
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            }
            else
            {
                await CopyResponseAsync(context, response, aborted);
            }
        }

        await CompleteAsync(worker, function, invocationId, invocation, invocationCts);
    }

    /// <summary>
    /// Buffers the worker's response, waits for the InvocationResponse, writes the outputs, and
    /// only then answers the client: the worker's response if all that succeeded, else 500.
    /// </summary>
    private async Task RespondAfterOutputsAsync(HttpContext context, WorkerChannel worker, FunctionDescriptor function, string invocationId, Task<InvocationResponse> invocation, CancellationTokenSource invocationCts, HttpResponseMessage response, CancellationToken forwardToken)
    {
        // Read the body now rather than after the invocation: the worker may only send its
        // InvocationResponse once it has written the whole body.
        byte[]? body = null;
        try
        {
            body = await response.Content.ReadAsByteArrayAsync(forwardToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            if (!invocationCts.IsCancellationRequested)
            {
                Log.ForwardFailed(this.logger, function.Name, invocationId, ex);
            }
        }

        var succeeded = await CompleteAsync(worker, function, invocationId, invocation, invocationCts);
        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (!succeeded || body is null)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        CopyHeaders(context, response);
        context.Response.ContentLength = body.Length;
        try
        {
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The client went away; the outputs are written regardless.
            context.Abort();
        }
    }

    /// <summary>Waits for the outcome, writes the outputs on success and reports; true if all succeeded.</summary>
    private async Task<bool> CompleteAsync(WorkerChannel worker, FunctionDescriptor function, string invocationId, Task<InvocationResponse> invocation, CancellationTokenSource invocationCts)
    {
        InvocationResponse result;
        try
        {
            result = await invocation.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        }
        catch (OperationCanceledException) when (invocationCts.IsCancellationRequested)
        {
            var error = $"Timeout value of {this.functionTimeout:c} exceeded by function '{function.Name}' (Id: '{invocationId}'). Initiating cancellation.";
            Log.FunctionTimedOut(this.logger, this.functionTimeout ?? TimeSpan.Zero, function.Name, invocationId);
            this.completed(new(function.Name, invocationId, false, error, null));
            _ = this.supervisor.OnInvocationTimedOutAsync(worker, invocationId);
            return false;
        }
        catch (Exception ex) when (ex is TimeoutException or WorkerUnavailableException or OperationCanceledException)
        {
            await invocationCts.CancelAsync();
            Log.InvocationFailed(this.logger, function.Name, invocationId, ex.Message);
            this.completed(new(function.Name, invocationId, false, ex.Message, null));
            return false;
        }

        if (result.Result?.Status != StatusResult.Types.Status.Success)
        {
            var error = result.Result?.Exception?.Message ?? "(no message)";
            Log.InvocationFailed(this.logger, function.Name, invocationId, error);
            this.completed(new(function.Name, invocationId, false, error, null));
            return false;
        }

        try
        {
            // Not cancelled by the client going away: a started write is finished.
            await this.outputs.ApplyAsync(function, result, CancellationToken.None);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or Azure.RequestFailedException or HttpRequestException or JsonException or IOException)
        {
            Log.OutputsFailed(this.logger, function.Name, invocationId, ex);
            this.completed(new(function.Name, invocationId, false, ex.Message, null));
            return false;
        }

        Log.InvocationSucceeded(this.logger, function.Name, invocationId);
        this.completed(new(function.Name, invocationId, true, null, null));
        return true;
    }

    private static async Task<bool> HasFailedAsync(Task<InvocationResponse> invocation)
    {
        try
        {
            var result = await invocation.WaitAsync(TimeSpan.FromSeconds(5));
            return result.Result?.Status != StatusResult.Types.Status.Success;
        }
        catch (Exception ex) when (ex is TimeoutException or WorkerUnavailableException or OperationCanceledException)
        {
            return true;
        }
    }

    private static InvocationRequest BuildInvocationRequest(HttpContext context, FunctionDescriptor function, BindingDescriptor trigger, string invocationId)
    {
        var request = new InvocationRequest
        {
            InvocationId = invocationId,
            FunctionId = function.Id,
            TraceContext = new RpcTraceContext { TraceParent = context.Request.Headers["traceparent"].ToString() },
        };

        // With HttpUri the real host keeps the gRPC message minimal: an empty RpcHttp for the trigger.
        request.InputData.Add(new ParameterBinding { Name = trigger.Name, Data = new TypedData { Http = new RpcHttp() } });

        // Binding data the WebJobs HTTP trigger exposes: route values (bind to parameters such as
        // `string name`), plus Query and Headers as JSON objects.
        foreach (var (key, value) in context.Request.RouteValues)
        {
            if (value is not null)
            {
                request.TriggerMetadata[key] = new TypedData { String = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty };
            }
        }

        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        request.TriggerMetadata["Query"] = new TypedData { Json = JsonSerializer.Serialize(query) };
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        request.TriggerMetadata["Headers"] = new TypedData { Json = JsonSerializer.Serialize(headers) };
        return request;
    }

    private static HttpRequestMessage BuildForwardRequest(HttpContext context, Uri workerUri, string invocationId)
    {
        var incoming = context.Request;
        var target = new UriBuilder(workerUri)
        {
            Path = incoming.PathBase.Add(incoming.Path).ToUriComponent(),
            Query = incoming.QueryString.HasValue ? incoming.QueryString.Value![1..] : string.Empty,
        };
        var message = new HttpRequestMessage(new HttpMethod(incoming.Method), target.Uri)
        {
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };

        // HTTP/1.1 framing: a request has a body only with Content-Length > 0 or Transfer-Encoding.
        var hasBody = incoming.ContentLength > 0 || incoming.Headers.TransferEncoding.Count > 0;
        if (hasBody)
        {
            message.Content = new StreamContent(incoming.Body);
        }

        foreach (var (name, values) in incoming.Headers)
        {
            if (SkippedRequestHeaders.Contains(name))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }
        }

        message.Headers.Remove(InvocationIdHeader);
        message.Headers.TryAddWithoutValidation(InvocationIdHeader, invocationId);
        return message;
    }

    private static async Task CopyResponseAsync(HttpContext context, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        CopyHeaders(context, response);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await body.CopyToAsync(context.Response.Body, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or HttpRequestException)
        {
            // Client or worker went away mid-body; the connection is aborted and nothing more can be said.
            context.Abort();
        }
    }

    private static void CopyHeaders(HttpContext context, HttpResponseMessage response)
    {
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers)
        {
            if (!SkippedResponseHeaders.Contains(header.Key))
            {
                context.Response.Headers[header.Key] = new StringValues(header.Value.ToArray());
            }
        }

        foreach (var header in response.Content.Headers)
        {
            context.Response.Headers[header.Key] = new StringValues(header.Value.ToArray());
        }
    }

    public void Dispose() => this.client.Dispose();
}
