using System.Text.Json;
using System.Text.Json.Nodes;

namespace Functions.LocalHost.Tests;

public sealed class QueueTriggerMetadataTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Top_level_properties_of_a_JSON_message_join_the_trigger_metadata_and_win_over_built_in_names()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);
        const string text = """{"Id":"from-json","note":"n","count":7,"flag":true,"nested":{"a":1},"list":[1,2],"nothing":null}""";

        var receipt = await harness.SendAsync(harness.MetadataQueue, text, ct);

        var processed = new List<string>();
        await Eventually.GetAsync(
            async () => { processed.AddRange(await harness.DrainAsync(harness.ProcessedQueue, ct)); return processed.Count; },
            n => n >= 1,
            TimeSpan.FromSeconds(60),
            "the metadata record");
        var record = JsonNode.Parse(Assert.Single(processed))!;
        var data = record["data"]!.AsObject().ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal);

        Assert.Equal(text, (string?)record["message"]);
        Assert.Equal(text, data["QueueTrigger"]);
        Assert.Equal("from-json", data["Id"]); // the message's property, not receipt.MessageId
        Assert.NotEqual(receipt.MessageId, data["Id"]);
        Assert.Equal("n", data["note"]);
        Assert.Equal("7", data["count"]);
        Assert.Equal("True", data["flag"]);
        Assert.Equal(1, JsonNode.Parse(data["nested"]!)!["a"]!.GetValue<int>());
        Assert.False(data.ContainsKey("list")); // arrays are left out, as by the host
        Assert.False(data.ContainsKey("nothing")); // so are nulls
        Assert.Equal("1", data["DequeueCount"]);
        Assert.False(string.IsNullOrEmpty(data["PopReceipt"]));
    }

    [Fact]
    public async Task A_plain_text_message_keeps_only_the_built_in_metadata()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await HostHarness.StartAsync(azurite, ct);

        var receipt = await harness.SendAsync(harness.MetadataQueue, "{not json", ct);

        var processed = new List<string>();
        await Eventually.GetAsync(
            async () => { processed.AddRange(await harness.DrainAsync(harness.ProcessedQueue, ct)); return processed.Count; },
            n => n >= 1,
            TimeSpan.FromSeconds(60),
            "the metadata record");
        var data = JsonNode.Parse(Assert.Single(processed))!["data"]!.AsObject();

        Assert.Equal(receipt.MessageId, (string?)data["Id"]);
        Assert.Equal("{not json", (string?)data["QueueTrigger"]);
        Assert.Equal(
            ["DequeueCount", "ExpirationTime", "Id", "InsertionTime", "NextVisibleTime", "PopReceipt", "QueueTrigger"],
            data.Select(p => p.Key).Order(StringComparer.Ordinal));
    }
}
