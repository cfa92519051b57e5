namespace BotRouter.Core.Delivery;

/// <summary>What became of a reply, by CM's status code (0 accepted, 1 rejected, 2 delivered, 3 failed, 4 read).</summary>
public enum DeliveryStatus
{
    Accepted = 0,
    Rejected = 1,
    Delivered = 2,
    Failed = 3,
    Read = 4,
}

/// <summary>One delivery status report of CM for a message the app sent.</summary>
public sealed record DeliveryReport(string Reference, DeliveryStatus Status, DateTimeOffset ReceivedUtc, int? ErrorCode, string? ErrorDescription);
