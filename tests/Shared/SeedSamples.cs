namespace BotRouter.Tests.Shared;

internal static class SeedSamples
{
    /// <summary>The MO example of CM's Bot Router documentation, verbatim in its field names.</summary>
    public const string Webhook = """
        {
        "from": { "number": "+316012345678", "name": null },
        "to": { "number": "+316012345678", "name": null },
        "message": { "text": null, "media": { "mediaUri": null, "contentType": null, "title": null }, "custom": {} },
        "reference": "2f2d42ac-3809-40fb-bce5-dc720e400000",
        "groupings": [],
        "timeUtc": "2020-09-16T08:23:32.8981621+00:00",
        "channel": "WhatsApp",
        "conversationalRouter": { "chatId": "47e755ad-69a2-4139-a610-c53d0c8deb4b", "accountId": "e17acdef-c918-423d-a01b-1000cd084f6a" }
        }
        """;
}
