using System.Text.Json.Nodes;

namespace Functions.LocalHost.Tests;

public sealed class QueueOptionsTests
{
    [Fact]
    public void Defaults_match_the_storage_extension()
    {
        var options = QueueTriggerOptions.FromHostJson(new JsonObject());

        Assert.Equal(16, options.BatchSize);
        Assert.Equal(8, options.NewBatchThreshold);
        Assert.Equal(TimeSpan.FromMinutes(1), options.MaxPollingInterval);
        Assert.Equal(TimeSpan.Zero, options.VisibilityTimeout);
        Assert.Equal(5, options.MaxDequeueCount);
        Assert.True(options.Base64);
    }

    [Fact]
    public void Host_json_values_are_read_and_newBatchThreshold_defaults_to_half_the_batch()
    {
        var hostJson = JsonNode.Parse("""
            { "version": "2.0", "extensions": { "queues": {
                "batchSize": 64, "maxPollingInterval": "00:00:02", "visibilityTimeout": "00:00:30",
                "maxDequeueCount": 2, "messageEncoding": "none" } } }
            """)!.AsObject();

        var options = QueueTriggerOptions.FromHostJson(hostJson);

        Assert.Equal(32, options.BatchSize); // the queue service's receive limit
        Assert.Equal(16, options.NewBatchThreshold);
        Assert.Equal(TimeSpan.FromSeconds(2), options.MaxPollingInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.VisibilityTimeout);
        Assert.Equal(2, options.MaxDequeueCount);
        Assert.False(options.Base64);
    }
}
