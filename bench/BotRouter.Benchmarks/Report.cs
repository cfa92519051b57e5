using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BotRouter.Benchmarks;

/// <summary>Collects the figures of one run and renders them as a markdown table (printed, and written with JSON).</summary>
public sealed class Report(bool quick, string appCommand)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public sealed record Row(string Section, string What, int Concurrency, int Count, int Failures, double Throughput, double P50, double P99);

    public sealed record ScaleRow(int Chats, int Messages, double AckThroughput, double AckP99, long Answered, double AnsweredPerSecond, long BusyResignals, long Conflicts);

    public sealed record TransactionRow(string Scenario, double Divisor, IReadOnlyDictionary<string, long> Counts)
    {
        public double Total => Counts.Where(kv => !kv.Key.StartsWith("status", StringComparison.Ordinal) && !kv.Key.Contains("get empty", StringComparison.Ordinal)).Sum(kv => kv.Value) / Divisor;
    }

    public List<Row> Rows { get; } = [];

    public Dictionary<int, (double VersusFloor, double VersusShaped, double VersusCeiling)> Ratios { get; } = [];

    public Dictionary<int, (double AppCpuMs, double AzuriteCpuMs)> CpuPerMessage { get; } = [];

    /// <summary>The sustained run: acknowledged and answered messages per second.</summary>
    public (double Acknowledged, double Answered)? Sustained { get; set; }

    public void Cpu(int concurrency, double app, double azurite) => CpuPerMessage[concurrency] = (app, azurite);

    /// <summary>At 1 sender: the webhook's 200 one at a time (nothing else running) and its storage work done raw, p50 ms.</summary>
    public (double AckP50, double RawP50)? AckOnItsOwn { get; private set; }

    public void AckAlone(double ackP50, double rawP50) => AckOnItsOwn = (ackP50, rawP50);

    /// <summary>Ack throughput with the processor disabled, over the raw table batch + queue put, by senders.</summary>
    public Dictionary<int, double> AckOnlyRatios { get; } = [];

    public void AckOnly(int concurrency, double versusShaped) => AckOnlyRatios[concurrency] = versusShaped;

    public List<ScaleRow> ScaleRows { get; } = [];

    public List<TransactionRow> TransactionRows { get; } = [];

    public long PeakWorkingSetKiB { get; set; }

    public double TotalSeconds { get; set; }

    public void Add(string section, string what, int concurrency, RunStats s) =>
        Rows.Add(new Row(section, what, concurrency, s.Count, s.Failures, s.Throughput, s.P50, s.P99));

    public void Ratio(int concurrency, double versusFloor, double versusShaped, double versusCeiling) => Ratios[concurrency] = (versusFloor, versusShaped, versusCeiling);

    public void Scale(int chats, int messages, RunStats ack, long answered, double processedMs, long busy, long conflicts) =>
        ScaleRows.Add(new ScaleRow(chats, messages, ack.Throughput, ack.P99, answered, answered / (processedMs / 1000.0), busy, conflicts));

    public void Transactions(string scenario, IReadOnlyDictionary<string, long> counts, double divisor) =>
        TransactionRows.Add(new TransactionRow(scenario, divisor, counts));

    public string Render()
    {
        var b = new StringBuilder();
        b.AppendLine(Inv, $"Bot Router connector benchmark — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {(quick ? "--quick" : "default")} run, {TotalSeconds:F0} s");
        b.AppendLine(Inv, $"app: `{appCommand}`; Azurite on disk (a fresh temporary directory); loopback only; load generator, router fake and Azurite share the machine.");
        b.AppendLine();
        b.AppendLine("| section | what | senders | n | fail | req/s | p50 ms | p99 ms |");
        b.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var r in Rows)
        {
            var rate = r.Section == "ack" || r.Section == "sustained" ? r.Throughput.ToString("F0", Inv) : "";
            b.AppendLine(Inv, $"| {r.Section} | {r.What} | {r.Concurrency} | {r.Count} | {r.Failures} | {rate} | {r.P50:F1} | {r.P99:F1} |");
        }

        if (Sustained is var (acknowledged, answered))
        {
            b.AppendLine();
            b.AppendLine(Inv, $"Sustained, 16 senders: acknowledged {acknowledged:F0}/s, answered {answered:F0}/s: answered / acknowledged = **{answered / acknowledged:F2}**.");
        }

        if (AckOnItsOwn is var (ackP50, rawP50))
        {
            b.AppendLine();
            b.AppendLine(Inv, $"Ack at 1 sender, one at a time: p50 {ackP50:F1} ms against {rawP50:F1} ms for its storage work done raw: **{ackP50 - rawP50:F1} ms** over it.");
        }

        b.AppendLine();
        b.AppendLine("| senders | ack / raw enqueue | ack / raw batch+put | ack, processing off / raw batch+put | ack / bare Kestrel | CPU ms per message, app | CPU ms per message, Azurite |");
        b.AppendLine("|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var (c, (floor, shaped, ceiling)) in Ratios)
        {
            var (appCpu, azuriteCpu) = CpuPerMessage.GetValueOrDefault(c);
            var alone = AckOnlyRatios.TryGetValue(c, out var r) ? r.ToString("F2", Inv) : "";
            b.AppendLine(Inv, $"| {c} | {floor:F2} | {shaped:F2} | {alone} | {ceiling:F3} | {appCpu:F1} | {azuriteCpu:F1} |");
        }

        b.AppendLine();
        b.AppendLine("CPU per message: the app process and Azurite over the acknowledgement burst and its drain (every message answered), so it covers webhook, both processors and the reply.");

        b.AppendLine();
        b.AppendLine("Scale, 16 senders, app behind the counting proxy (answered/s = replies seen by the fake per second from the first post; capped in time):");
        b.AppendLine();
        b.AppendLine("| chats | messages | ack req/s | ack p99 ms | answered | answered/s | busy re-signals (inbound puts beyond 1 per message) | 409/412 conflicts |");
        b.AppendLine("|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var s in ScaleRows)
        {
            b.AppendLine(Inv, $"| {s.Chats} | {s.Messages} | {s.AckThroughput:F0} | {s.AckP99:F1} | {s.Answered} | {s.AnsweredPerSecond:F1} | {s.BusyResignals} | {s.Conflicts} |");
        }

        b.AppendLine();
        b.AppendLine("Storage transactions (counted at a forwarding proxy in front of Azurite; per message unless noted; empty polls and error statuses are listed, not summed):");
        b.AppendLine();
        foreach (var t in TransactionRows)
        {
            b.AppendLine(Inv, $"- **{t.Scenario}**: {t.Total:F2} billed transactions (without empty polls)");
            foreach (var (kind, n) in t.Counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                b.AppendLine(Inv, $"  - {kind}: {n / t.Divisor:F2}");
            }
        }

        b.AppendLine();
        b.AppendLine(Inv, $"App peak working set (VmHWM of the app process tree, after the load runs): {PeakWorkingSetKiB / 1024.0:F0} MiB.");
        return b.ToString();
    }

    public async Task WriteAsync(string directory)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", Inv);
        var markdown = Render();
        await File.WriteAllTextAsync(Path.Combine(directory, $"bench-{stamp}.md"), markdown);
        await File.WriteAllTextAsync(Path.Combine(directory, "latest.md"), markdown);
        var json = JsonSerializer.Serialize(
            new
            {
                quick,
                appCommand,
                TotalSeconds,
                Rows,
                Ratios = Ratios.ToDictionary(kv => kv.Key.ToString(Inv), kv => new { kv.Value.VersusFloor, kv.Value.VersusShaped, kv.Value.VersusCeiling }),
                AckOnlyRatios = AckOnlyRatios.ToDictionary(kv => kv.Key.ToString(Inv), kv => kv.Value),
                AckOnItsOwn = AckOnItsOwn is var (a, r) ? new { AckP50 = a, RawP50 = r } : null,
                CpuPerMessage = CpuPerMessage.ToDictionary(kv => kv.Key.ToString(Inv), kv => new { kv.Value.AppCpuMs, kv.Value.AzuriteCpuMs }),
                ScaleRows,
                Transactions = TransactionRows.Select(t => new { t.Scenario, t.Divisor, PerMessage = t.Total, t.Counts }),
                PeakWorkingSetKiB,
            },
            Indented);
        await File.WriteAllTextAsync(Path.Combine(directory, $"bench-{stamp}.json"), json);
        await File.WriteAllTextAsync(Path.Combine(directory, "latest.json"), json);
    }
}
