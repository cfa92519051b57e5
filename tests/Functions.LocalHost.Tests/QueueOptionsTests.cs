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
                "batchSize": 32, "maxPollingInterval": "00:00:02", "visibilityTimeout": "00:00:30",
                "maxDequeueCount": 2, "messageEncoding": "none" } } }
            """)!.AsObject();

        var options = QueueTriggerOptions.FromHostJson(hostJson);

        Assert.Equal(32, options.BatchSize);
        Assert.Equal(16, options.NewBatchThreshold);
        Assert.Equal(TimeSpan.FromSeconds(2), options.MaxPollingInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.VisibilityTimeout);
        Assert.Equal(2, options.MaxDequeueCount);
        Assert.False(options.Base64);
    }

    [Theory]
    [InlineData("batchSize", "33", "(Parameter 'value'): BatchSize must be between 1 and 32.")]
    [InlineData("batchSize", "0", "(Parameter 'value'): BatchSize must be between 1 and 32.")]
    [InlineData("newBatchThreshold", "-1", "NewBatchThreshold must not be less than 0.")]
    [InlineData("maxDequeueCount", "0", "MaxDequeueCount must not be less than 1.")]
    [InlineData("maxPollingInterval", "\"00:00:00.050\"", "MaxPollingInterval must not be less than 00:00:00.1000000.")]
    public void Values_out_of_the_extension_range_stop_start_up_with_the_host_message(string property, string value, string message)
    {
        var hostJson = JsonNode.Parse($$"""{ "extensions": { "queues": { "{{property}}": {{value}} } } }""")!.AsObject();

        var ex = Assert.Throws<InvalidDataException>(() => QueueTriggerOptions.FromHostJson(hostJson));

        Assert.StartsWith($"host.json extensions.queues.{property} = ", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Boundary_values_are_accepted()
    {
        var hostJson = JsonNode.Parse("""
            { "extensions": { "queues": { "batchSize": 1, "newBatchThreshold": 0, "maxDequeueCount": 1, "maxPollingInterval": 100 } } }
            """)!.AsObject();

        var options = QueueTriggerOptions.FromHostJson(hostJson);

        Assert.Equal(1, options.BatchSize);
        Assert.Equal(0, options.NewBatchThreshold);
        Assert.Equal(1, options.MaxDequeueCount);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.MaxPollingInterval);
    }

    [Theory]
    [InlineData(null, 1800.0)]
    [InlineData("\"01:00:00\"", 3600.0)]
    [InlineData("\"00:00:01\"", 1.0)]
    [InlineData("\"2.00:00:00\"", 172800.0)] // no upper bound outside Windows Consumption
    [InlineData("\"-1\"", null)]
    public void FunctionTimeout_defaults_to_30_minutes_and_minus_one_means_none(string? value, double? seconds)
    {
        var hostJson = JsonNode.Parse(value is null ? "{}" : $$"""{ "functionTimeout": {{value}} }""")!.AsObject();

        var timeout = FunctionTimeouts.FromHostJson(hostJson);

        Assert.Equal(seconds is null ? null : TimeSpan.FromSeconds(seconds.Value), timeout);
    }

    [Theory]
    [InlineData("\"00:00:00.500\"")]
    [InlineData("\"00:00:00\"")]
    [InlineData("\"soon\"")]
    public void FunctionTimeout_below_one_second_or_not_a_time_span_stops_start_up(string value)
    {
        var hostJson = JsonNode.Parse($$"""{ "functionTimeout": {{value}} }""")!.AsObject();

        var ex = Assert.Throws<InvalidDataException>(() => FunctionTimeouts.FromHostJson(hostJson));

        Assert.StartsWith("host.json functionTimeout = ", ex.Message, StringComparison.Ordinal);
    }
}
