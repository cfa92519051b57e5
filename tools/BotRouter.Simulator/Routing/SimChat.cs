using BotRouter.Core.Contracts;
using BotRouter.Simulator.Contracts;

namespace BotRouter.Simulator.Routing;

/// <summary>
/// One conversation as the router sees it: which components are enabled, the team context,
/// the bot's position, and everything said and done. Every member is safe to call concurrently.
/// </summary>
internal sealed class SimChat
{
    public const string Customer = "customer";
    public const string Bot = "bot";
    public const string Agent = "agent";
    public const string Nobody = "nobody";

    private readonly Lock gate = new();
    private readonly List<TranscriptEntry> transcript = [];
    private readonly List<TimelineEntry> timeline = [];
    private readonly string botComponentId;
    private readonly string agentComponentId;
    private bool botEnabled = true;

    // Customer Contact always receives every conversation; it only lies dormant while the bot is enabled.
    private bool agentEnabled = true;
    private Dictionary<string, string>? context;
    private BotPosition? position;
    private string? customerName;
    private int rejectedBotSends;
    private DateTimeOffset lastActivity;
    private readonly Action? changed;

    public SimChat(string chatId, string channel, string customerNumber, string businessNumber, string botComponentId, string agentComponentId, DateTimeOffset now, Action? changed = null)
    {
        this.changed = changed;
        ChatId = chatId;
        Channel = channel;
        CustomerNumber = customerNumber;
        BusinessNumber = businessNumber;
        this.botComponentId = botComponentId;
        this.agentComponentId = agentComponentId;
        lastActivity = now;
    }

    public string ChatId { get; }
    public string Channel { get; }
    public string CustomerNumber { get; }
    public string BusinessNumber { get; }

    public bool BotEnabled
    {
        get
        {
            lock (gate)
            {
                return botEnabled;
            }
        }
    }

    public DateTimeOffset LastActivity
    {
        get
        {
            lock (gate)
            {
                return lastActivity;
            }
        }
    }

    public string? CustomerName
    {
        get
        {
            lock (gate)
            {
                return customerName;
            }
        }
    }

    /// <summary>Records a customer message and decides, atomically with the component state, who receives it.</summary>
    /// <returns>
    /// <see cref="Bot"/> when the bot component is enabled, otherwise <see cref="Agent"/> (Customer Contact),
    /// or <see cref="Nobody"/> when both were disabled.
    /// </returns>
    public TranscriptEntry ReceiveFromCustomer(string text, string reference, string? name, DateTimeOffset now)
    {
        lock (gate)
        {
            if (!string.IsNullOrWhiteSpace(name))
            {
                customerName = name;
            }

            var receiver = botEnabled ? Bot : agentEnabled ? Agent : Nobody;
            var entry = new TranscriptEntry(now, Customer, text, reference, receiver, null);
            transcript.Add(entry);
            lastActivity = now;
            changed?.Invoke();
            return entry;
        }
    }

    /// <summary>Delivers a bot reply to the customer, or refuses it (and counts it) while the bot component is disabled.</summary>
    public bool TrySendFromBot(string text, string? reference, IReadOnlyList<BmSuggestion>? suggestions, DateTimeOffset now, IReadOnlyList<BmMedia>? media = null)
    {
        try
        {
            lock (gate)
            {
                lastActivity = now;
                if (!botEnabled)
                {
                    rejectedBotSends++;
                    return false;
                }

                transcript.Add(new TranscriptEntry(now, Bot, text, reference, Customer, suggestions)
                {
                    Media = media is { Count: > 0 } ? media : null,
                    DeliveryStatus = DeliveryStatuses.Accepted,
                });
                return true;
            }
        }
        finally
        {
            changed?.Invoke();
        }
    }

    public TranscriptEntry SendFromAgent(string text, DateTimeOffset now)
    {
        lock (gate)
        {
            var entry = new TranscriptEntry(now, Agent, text, null, Customer, null);
            transcript.Add(entry);
            lastActivity = now;
            changed?.Invoke();
            return entry;
        }
    }

    /// <summary>Applies already validated mutations in order; a given context replaces the stored one.</summary>
    public ComponentStates Mutate(IReadOnlyList<Mutation> mutations, IReadOnlyDictionary<string, string>? newContext, DateTimeOffset now)
    {
        lock (gate)
        {
            foreach (var mutation in mutations)
            {
                var enable = mutation.Type == Mutation.Enable;
                if (string.Equals(mutation.ComponentId, botComponentId, StringComparison.OrdinalIgnoreCase))
                {
                    botEnabled = enable;
                }
                else
                {
                    agentEnabled = enable;
                }
            }

            if (newContext is { Count: > 0 })
            {
                context = new Dictionary<string, string>(newContext, StringComparer.Ordinal);
            }

            lastActivity = now;
            changed?.Invoke();
            return StatesLocked();
        }
    }

    /// <summary>Moves the bot, which only makes sense while it is enabled (a position follows the enable mutation).</summary>
    public bool TryPosition(string flowId, string stepId, DateTimeOffset now)
    {
        lock (gate)
        {
            lastActivity = now;
            if (!botEnabled)
            {
                return false;
            }

            position = new BotPosition(flowId, stepId, now);
            changed?.Invoke();
            return true;
        }
    }

    /// <summary>Cancels every mutation: bot enabled, Customer Contact dormant, no context, no position.</summary>
    public ComponentStates Reset(DateTimeOffset now)
    {
        lock (gate)
        {
            botEnabled = true;
            agentEnabled = true;
            context = null;
            position = null;
            lastActivity = now;
            changed?.Invoke();
            return StatesLocked();
        }
    }

    /// <summary>Marks the bot replies with this reference as <paramref name="status"/> (a status report reached the app or not: CM knows either way).</summary>
    public void SetDeliveryStatus(string reference, string status)
    {
        lock (gate)
        {
            for (var i = 0; i < transcript.Count; i++)
            {
                if (transcript[i].Sender == Bot && transcript[i].Reference == reference)
                {
                    transcript[i] = transcript[i] with { DeliveryStatus = status };
                }
            }

            changed?.Invoke();
        }
    }

    public void Record(string kind, string summary, int status, DateTimeOffset now)
    {
        lock (gate)
        {
            timeline.Add(new TimelineEntry(now, kind, summary, status));
            changed?.Invoke();
        }
    }

    public int RejectedBotSends
    {
        get
        {
            lock (gate)
            {
                return rejectedBotSends;
            }
        }
    }

    public ChatSummary Summary()
    {
        lock (gate)
        {
            return SummaryLocked();
        }
    }

    public ChatDetail Detail()
    {
        lock (gate)
        {
            return new ChatDetail(SummaryLocked(), [.. transcript], [.. timeline]);
        }
    }

    /// <summary>The customer messages the router gave to Customer Contact, while this chat is in agent mode.</summary>
    public IReadOnlyList<AgentInboxItem> AgentInbox()
    {
        lock (gate)
        {
            if (botEnabled)
            {
                return [];
            }

            var snapshot = context is null ? null : new Dictionary<string, string>(context, StringComparer.Ordinal);
            return [.. transcript
                .Where(e => e.Sender == Customer && e.DeliveredTo == Agent)
                .Select(e => new AgentInboxItem(ChatId, Channel, CustomerNumber, snapshot, e))];
        }
    }

    private ChatSummary SummaryLocked() => new(
        ChatId,
        Channel,
        CustomerNumber,
        customerName,
        BusinessNumber,
        StatesLocked(),
        context is null ? null : new Dictionary<string, string>(context, StringComparer.Ordinal),
        position,
        transcript.Count,
        transcript.Count(e => e.Sender == Customer && e.DeliveredTo == Agent),
        rejectedBotSends,
        lastActivity);

    private ComponentStates StatesLocked() =>
        new(botEnabled ? Bot : Agent, botEnabled, agentEnabled, botComponentId, agentComponentId);
}
