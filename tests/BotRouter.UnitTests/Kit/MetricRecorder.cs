using System.Diagnostics.Metrics;
using BotRouter.Core;

namespace BotRouter.UnitTests.Kit;

/// <summary>Listens to the app's meter and sums what each counter was given, by instrument name.</summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly List<(string Name, long Value, Dictionary<string, object?> Tags)> measurements = [];

    public MetricRecorder()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BotRouterTelemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (measurements)
            {
                measurements.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        listener.Start();
    }

    public long Sum(string name, string? tag = null, object? value = null)
    {
        lock (measurements)
        {
            return measurements.Where(m => m.Name == name && (tag is null || (m.Tags.TryGetValue(tag, out var v) && Equals(v, value)))).Sum(m => m.Value);
        }
    }

    public void Dispose() => listener.Dispose();
}
