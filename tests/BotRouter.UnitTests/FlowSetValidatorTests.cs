using System.Text;
using BotRouter.Core.Flows;

namespace BotRouter.UnitTests;

public class FlowSetValidatorTests
{
    [Fact]
    public void Shipped_flows_are_valid_and_start_with_a_greeting()
    {
        var flows = FlowSetValidator.LoadDefault();

        Assert.Empty(FlowSetValidator.Validate(flows));
        Assert.Equal("welcome", flows.StartStep.Id);
        Assert.Equal(["agent", "human", "medewerker"], flows.HandOver.Keywords);
    }

    [Fact]
    public void A_transition_to_a_missing_step_is_refused_with_its_place()
    {
        const string json = """
            {"handOver":{"keywords":["agent"],"notice":"n"},"fallback":"f",
             "flows":[{"id":"a","steps":[{"id":"s","prompt":"p","choices":[{"label":"x","next":"b/nope"}]}]}]}
            """;

        var e = Assert.Throws<InvalidDataException>(() => FlowSetValidator.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json"));
        Assert.Contains("a/s leads to 'b/nope'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Flows_that_are_not_JSON_are_refused_naming_the_file()
    {
        var e = Assert.Throws<InvalidDataException>(() => FlowSetValidator.Load(new MemoryStream("{oops"u8.ToArray()), "broken.json"));
        Assert.Contains("broken.json", e.Message, StringComparison.Ordinal);
    }
}
