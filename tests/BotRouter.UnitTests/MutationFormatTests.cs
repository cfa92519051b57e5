using BotRouter.Core.Chats;
using BotRouter.Core.Routing;

namespace BotRouter.UnitTests;

public class MutationFormatTests
{
    private const string ChatId = ChatTurnsTests.ChatId;
    private static readonly ChatState Chat = ChatState.New(ChatId, DateTimeOffset.UnixEpoch);
    private static readonly Dictionary<string, string> Team = new() { ["team"] = "billing" };

    [Fact]
    public void Component_format_is_the_seeds_body()
    {
        var requests = Kit.TestRouter.Requests("component");

        Assert.Equal(
            $$$"""{"ChatId":"{{{ChatId}}}","Mutations":[{"$type":"disableComponent","ComponentId":"CmBot"}],"Context":{"team":"billing"}}""",
            requests.Disable(Chat, "c1", Team).Body);
        Assert.Equal(
            $$$"""{"ChatId":"{{{ChatId}}}","Mutations":[{"$type":"enableComponent","ComponentId":"CmBot"}]}""",
            requests.Enable(Chat, "c2").Body);
    }

    [Fact]
    public void Rule_format_is_the_body_of_cms_routing_control_docs()
    {
        var requests = Kit.TestRouter.Requests("rule");

        Assert.Equal(
            $$$"""{"ChatId":"{{{ChatId}}}","Mutations":[{"$type":"ruleMutation","action":"Disable","operator":"And","targetAdapterId":"CmBot"}],"Context":{"team":"billing"}}""",
            requests.Disable(Chat, "c1", Team).Body);
        Assert.Equal(
            $$$"""{"ChatId":"{{{ChatId}}}","Mutations":[{"$type":"ruleMutation","action":"Enable","operator":"And","targetAdapterId":"CmBot"}]}""",
            requests.Enable(Chat, "c2").Body);
    }

    [Fact]
    public void The_format_is_read_in_any_case()
    {
        Assert.Contains("ruleMutation", Kit.TestRouter.Requests("Rule").Enable(Chat, "c").Body, StringComparison.Ordinal);
    }
}
