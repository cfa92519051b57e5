using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace BotRouter.Benchmarks;

/// <summary>
/// The in-process Bot Router fake: answers every call 200 like BMProxy, and records when each reply (by the
/// customer number it goes to) and each mutation (by chat id) arrived. <c>/ceiling</c> is the bare-Kestrel
/// baseline: 200, nothing else.
/// </summary>
public sealed class RouterSink : IAsyncDisposable
{
    private const string Accepted = """{"details":"Created 1 message(s)","errorCode":0,"messages":[]}""";
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> firstReply = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> firstMutation = new();
    private readonly ConcurrentDictionary<string, int> replyCounts = new();
    private readonly ConcurrentDictionary<(string, int), TaskCompletionSource<long>> nthReply = new();
    private long replies;
    private long mutations;

    private RouterSink(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public long Replies => Interlocked.Read(ref replies);

    public long Mutations => Interlocked.Read(ref mutations);

    public static async Task<RouterSink> StartAsync(int port)
    {
        var url = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sink = new RouterSink(app, url + "/");
        app.Run(sink.HandleAsync);
        await app.StartAsync();
        return sink;
    }

    /// <summary>Completes with the <see cref="Stopwatch"/> timestamp of the first reply to this customer number.</summary>
    public Task<long> ReplyTo(string customerNumber) => firstReply.GetOrAdd(customerNumber, _ => NewSource()).Task;

    /// <summary>Completes with the timestamp of the <paramref name="index"/>-th (from 0) reply to this customer number.</summary>
    public Task<long> ReplyTo(string customerNumber, int index) => nthReply.GetOrAdd((customerNumber, index), _ => NewSource()).Task;

    public Task<long> MutationFor(string chatId) => firstMutation.GetOrAdd(chatId, _ => NewSource()).Task;

    public int RepliesTo(string customerNumber) => replyCounts.GetValueOrDefault(customerNumber);

    private static TaskCompletionSource<long> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        if (path == "/ceiling")
        {
            context.Response.StatusCode = 200;
            return;
        }

        var now = Stopwatch.GetTimestamp();
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var root = body.RootElement;
        if (root.TryGetProperty("messages", out var messages))
        {
            // BMProxy: {"messages":{"msg":[{"to":[{"number":"+31..."}], ...}]}}
            var number = messages.GetProperty("msg")[0].GetProperty("to")[0].GetProperty("number").GetString() ?? string.Empty;
            Interlocked.Increment(ref replies);
            var count = replyCounts.AddOrUpdate(number, 1, (_, n) => n + 1);
            nthReply.GetOrAdd((number, count - 1), _ => NewSource()).TrySetResult(now);
            firstReply.GetOrAdd(number, _ => NewSource()).TrySetResult(now);
        }
        else if (root.TryGetProperty("chatId", out var chat) || root.TryGetProperty("ChatId", out chat))
        {
            Interlocked.Increment(ref mutations);
            firstMutation.GetOrAdd(chat.GetString() ?? string.Empty, _ => NewSource()).TrySetResult(now);
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Accepted);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
