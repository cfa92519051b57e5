using System.Globalization;

namespace BotRouter.Soak;

/// <summary>
/// <c>dotnet run -c Release --project bench/BotRouter.Benchmarks -- soak [--messages 10000] [--chats 1000] [--seed 17]
/// [--failure-rate 0.3] [--duplicate-rate 0.1] [--takeover-share 0.2] [--outage-seconds 10] [--no-kill] [--instances 1]
/// [--senders 32] [--retry-delay-max-seconds 20] [--cap-minutes 20]</c>: prints one table; exit code 1 when anything was lost, duplicated or answered in agent mode.
/// </summary>
public static class SoakCommand
{
    public static async Task<int> RunAsync(string[] args, string output)
    {
        string? Option(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        double Number(string name, double fallback) => Option(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

        var defaults = new SoakOptions();
        var options = defaults with
        {
            Messages = (int)Number("--messages", defaults.Messages),
            Chats = (int)Number("--chats", defaults.Chats),
            Seed = (int)Number("--seed", defaults.Seed),
            FailureRate = Number("--failure-rate", defaults.FailureRate),
            DuplicateRate = Number("--duplicate-rate", defaults.DuplicateRate),
            TakeOverShare = Number("--takeover-share", defaults.TakeOverShare),
            Outage = TimeSpan.FromSeconds(Number("--outage-seconds", defaults.Outage.TotalSeconds)),
            KillWorker = !args.Contains("--no-kill"),
            Instances = (int)Number("--instances", defaults.Instances),
            Senders = (int)Number("--senders", defaults.Senders),
            RetryDelayMax = TimeSpan.FromSeconds(Number("--retry-delay-max-seconds", defaults.RetryDelayMax.TotalSeconds)),
            Cap = TimeSpan.FromMinutes(Number("--cap-minutes", defaults.Cap.TotalMinutes)),
            LogDirectory = output,
        };
        Console.WriteLine($"soak: {options.Messages} messages over {options.Chats} chats, seed {options.Seed}, app logs in {output}");
        var result = await SoakRun.RunAsync(options);
        var table = result.Table();
        Console.WriteLine();
        Console.WriteLine(table);
        foreach (var problem in result.Problems.Take(20))
        {
            Console.WriteLine("  " + problem);
        }

        var stamp = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(output, "soak.md"), $"soak {stamp}: `{string.Join(' ', args)}`\n\n{table}\n{string.Join('\n', result.Problems.Take(50).Select(p => "- " + p))}\n");
        return result.Lost == 0 && result.DuplicatedByReference == 0 && result.DuplicatedBySequence == 0 && result.RepliesInAgentMode == 0 && result.Acknowledged == result.Sent ? 0 : 1;
    }
}
