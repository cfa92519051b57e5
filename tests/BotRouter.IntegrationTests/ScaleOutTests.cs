using BotRouter.Soak;

namespace BotRouter.IntegrationTests;

/// <summary>
/// Issue 17, item 4: Azure runs several instances of the app on one storage account. Two instances of the run
/// command (each its own process, <c>DevHost__Simulator=false DevHost__Azurite=false</c>, the same storage, the same
/// router fake) take a burst of 30 chats × 4 messages, each message to a random instance, a chat's messages in order
/// (the next after the previous got 200), chats concurrently. Every chat must get exactly the replies of a reference
/// conversation of the same 4 messages sent one by one through the same app: none lost, none twice, in order.
/// </summary>
[Collection(DevHostCrashGroup.Name)]
public sealed class ScaleOutTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Two_instances_on_one_storage_answer_a_burst_like_one_by_one_none_lost_none_twice()
    {
        var result = await SoakRun.RunAsync(new SoakOptions
        {
            Messages = 120,
            Chats = 30,
            Instances = 2,
            FailureRate = 0,
            DuplicateRate = 0,
            TakeOverShare = 0,
            Outage = TimeSpan.Zero,
            KillWorker = false,
            Texts = ["hi", "1", "AB-12345", "yes"],
            Quiet = TimeSpan.FromSeconds(4),
            Stall = TimeSpan.FromSeconds(20),
            Cap = TimeSpan.FromSeconds(85),
            ReplayPoison = false,
            Say = log.WriteLine,
        });

        var table = result.Table();
        log.WriteLine(table);
        var what = $"{table}\n{string.Join('\n', result.Problems)}";
        log.WriteLine($"scale-out: 2 instances ({string.Join("/", result.AcknowledgedByInstance.OrderBy(kv => kv.Key).Select(kv => kv.Value))} webhooks), {result.Acknowledged}/{result.Sent} acknowledged, {result.Answered} answered like the reference, lost {result.Lost}, duplicated {result.DuplicatedByReference + result.DuplicatedBySequence}, chats differing {result.ChatsDiffering}, {result.Seconds:F0} s");
        Assert.True(result.Sent == 120 && result.Acknowledged == 120, what);
        Assert.True(result.ChatsDiffering == 0, what);
        Assert.True(result.Lost == 0 && result.Unexpected == 0, what);
        Assert.True(result.DuplicatedByReference == 0 && result.DuplicatedBySequence == 0, what);
        Assert.True(result.Answered == 120, what);
        Assert.True(result.PoisonedAtEnd == 0, what);
        Assert.True(result.AcknowledgedByInstance.Count == 2 && result.AcknowledgedByInstance.Values.All(n => n >= 30), $"both instances should have taken webhooks:\n{what}");
    }
}
