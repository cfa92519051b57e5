using System.Diagnostics;
using BotRouter.Azure;
using BotRouter.Functions.Triggers;
using BotRouter.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace BotRouter.IntegrationTests;

/// <summary>One trace follows a message over its hop, because the queue signal carries the traceparent.</summary>
public sealed class TracingTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_message_is_one_trace_from_the_webhook_through_the_queue_to_the_router_call()
    {
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(Core.BotRouterTelemetry.Name).AddInMemoryExporter(spans).Build();
        await using var app = await AppHarness.StartAsync(azurite);
        var chatId = AppHarness.NewChatId();

        var answer = await app.ExecuteAsync(r => app.Function<Webhook>().Run(r, CancellationToken.None), app.Webhook(chatId, "hello"));
        Assert.Equal(200, answer.Status);
        var signals = app.Services.GetRequiredService<global::Azure.Storage.Queues.QueueServiceClient>();
        var inbound = await NextSignalAsync(signals, StorageNames.InboundQueue, chatId);
        await app.Services.GetRequiredService<Core.Processing.ChatProcessor>().ProcessAsync(Core.Chats.ChatId.Parse(chatId), false, inbound.TraceParent, CancellationToken.None);
        tracer.ForceFlush();

        var mine = spans.Where(s => s.GetTagItem("botrouter.chat_id") as string == chatId).ToList();
        Assert.Equal(
            ["chat process", "router reply", "webhook receive"],
            mine.Select(s => s.DisplayName).Order(StringComparer.Ordinal));
        Assert.Single(mine.Select(s => s.TraceId).Distinct());
    }

    private static async Task<Core.Chats.QueueSignal> NextSignalAsync(global::Azure.Storage.Queues.QueueServiceClient queues, string queue, string chatId)
    {
        var client = queues.GetQueueClient(queue);
        for (var i = 0; i < 50; i++)
        {
            var messages = await client.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            foreach (var m in messages.Value)
            {
                var signal = System.Text.Json.JsonSerializer.Deserialize(m.Body.ToString(), Core.Contracts.CoreJson.Default.QueueSignal)!;
                if (signal.ChatId == chatId)
                {
                    await client.DeleteMessageAsync(m.MessageId, m.PopReceipt, TestContext.Current.CancellationToken);
                    return signal;
                }

                await client.UpdateMessageAsync(m.MessageId, m.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: TestContext.Current.CancellationToken);
            }
        }

        throw new TimeoutException($"No {queue} signal for chat {chatId}.");
    }
}
