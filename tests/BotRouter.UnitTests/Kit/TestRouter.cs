using BotRouter.Core.Configuration;
using BotRouter.Core.Routing;

namespace BotRouter.UnitTests.Kit;

/// <summary>The router requests as the app builds them with the default settings (bot <c>CmBot</c>, agent <c>CustomerContact</c>).</summary>
public static class TestRouter
{
    public static readonly RouterComponents Components = new("CmBot", "CustomerContact");

    public static RouterRequests Requests(string mutationFormat = MutationFormats.Component) => new(Components, mutationFormat);
}
