using System.Text.Json;
using System.Text.Json.Nodes;
using BotRouter.Core.Contracts;

namespace BotRouter.UnitTests;

public class ContractTests
{
    internal const string SeedWebhook = BotRouter.Tests.Shared.SeedSamples.Webhook;

    [Fact]
    public void Seed_webhook_reads_every_field()
    {
        var mo = JsonSerializer.Deserialize(SeedWebhook, CoreJson.Default.MoMessage)!;

        Assert.Equal("+316012345678", mo.From!.Number);
        Assert.Equal("+316012345678", mo.To!.Number);
        Assert.Equal("2f2d42ac-3809-40fb-bce5-dc720e400000", mo.Reference);
        Assert.Equal("WhatsApp", mo.Channel);
        Assert.Equal(new DateTimeOffset(2020, 9, 16, 8, 23, 32, TimeSpan.Zero), mo.TimeUtc!.Value.AddTicks(-(mo.TimeUtc.Value.Ticks % TimeSpan.TicksPerSecond)));
        Assert.Equal("47e755ad-69a2-4139-a610-c53d0c8deb4b", mo.ConversationalRouter!.ChatId);
        Assert.Equal("e17acdef-c918-423d-a01b-1000cd084f6a", mo.ConversationalRouter.AccountId);
        Assert.Null(mo.Message!.Text);
    }

    [Fact]
    public void Seed_webhook_round_trips_with_the_same_field_names()
    {
        var mo = JsonSerializer.Deserialize(SeedWebhook, CoreJson.Default.MoMessage)!;
        var written = JsonNode.Parse(JsonSerializer.Serialize(mo, CoreJson.Default.MoMessage))!.AsObject();
        var original = JsonNode.Parse(SeedWebhook)!.AsObject();

        // Null leaves are not written back; every name that is written is CM's own.
        Assert.All(written.Select(p => p.Key), name => Assert.Contains(name, original.Select(p => p.Key)));
        Assert.Equal(["chatId", "accountId"], written["conversationalRouter"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["number"], written["from"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Mutation_request_matches_the_seed_example_exactly()
    {
        const string seed = """{"ChatId":"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxxxxxx","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"},{"$type":"enableComponent","ComponentId":"CustomerContact"}]}""";
        var request = new MutationRequest
        {
            ChatId = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxxxxxx",
            Mutations = [new Mutation { Type = Mutation.Disable, ComponentId = "CmBot" }, new Mutation { Type = Mutation.Enable, ComponentId = "CustomerContact" }],
        };

        Assert.Equal(seed, JsonSerializer.Serialize(request, CoreJson.Default.MutationRequest));
        Assert.Equal(request.Mutations, JsonSerializer.Deserialize(seed, CoreJson.Default.MutationRequest)!.Mutations);
    }

    [Fact]
    public void Mutation_request_with_team_context_writes_Context()
    {
        var request = new MutationRequest
        {
            ChatId = "c",
            Mutations = [new Mutation { Type = Mutation.Disable, ComponentId = "CmBot" }],
            Context = new Dictionary<string, string> { ["Var1"] = "Value1", ["Var2"] = "Value2" },
        };

        Assert.Equal(
            """{"ChatId":"c","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}],"Context":{"Var1":"Value1","Var2":"Value2"}}""",
            JsonSerializer.Serialize(request, CoreJson.Default.MutationRequest));
    }

    [Fact]
    public void Position_request_matches_the_seed_example_exactly()
    {
        const string seed = """{"ChatId":"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxxxxxx","FlowId":"chat_flow_you_want_to_continue","StepId":"step_within_that_flow_you_want_to_continue"}""";
        var request = JsonSerializer.Deserialize(seed, CoreJson.Default.PositionRequest)!;

        Assert.Equal("chat_flow_you_want_to_continue", request.FlowId);
        Assert.Equal(seed, JsonSerializer.Serialize(request, CoreJson.Default.PositionRequest));
    }

    [Fact]
    public void Business_message_uses_the_BM_field_names()
    {
        var body = new BmSendRequest
        {
            Messages = new BmMessages
            {
                Msg =
                [
                    new BmMessage
                    {
                        From = "Acme",
                        To = [new BmRecipient { Number = "+31600000000" }],
                        Body = new BmBody { Content = "Hello" },
                        AllowedChannels = ["WhatsApp"],
                        Reference = "r1",
                        RichContent = new BmRichContent { Suggestions = [new BmSuggestion { Label = "Yes", PostbackData = "yes" }] },
                    },
                ],
            },
        };

        Assert.Equal(
            """{"messages":{"msg":[{"from":"Acme","to":[{"number":"+31600000000"}],"body":{"type":"auto","content":"Hello"},"allowedChannels":["WhatsApp"],"reference":"r1","richContent":{"suggestions":[{"action":"reply","label":"Yes","postbackdata":"yes"}]}}]}}""",
            JsonSerializer.Serialize(body, CoreJson.Wire.BmSendRequest));
    }
}
