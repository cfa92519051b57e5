using BotRouter.Core.Chats;
using BotRouter.Core.Configuration;

namespace BotRouter.Core.Routing;

/// <summary>
/// The two components of the chat's routing: this bot (the one the mutations disable and enable) and the human
/// agent component. Only <see cref="Bot"/> is ever sent to the router: the agent component receives every
/// conversation and is not enabled explicitly (CM's routing documentation); <see cref="Agent"/> names who has
/// the chat in the chat view and the history.
/// </summary>
public sealed record RouterComponents(string Bot, string Agent)
{
    public static RouterComponents Of(BotRouterOptions options) => new(options.BotComponentId, options.AgentComponentId);

    /// <summary>The component that answers the customer in <paramref name="mode"/>.</summary>
    public string Owner(RoutingMode mode) => mode == RoutingMode.Agent ? Agent : Bot;
}
