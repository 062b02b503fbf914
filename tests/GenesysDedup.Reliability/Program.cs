using System.Text.Json;
using GenesysDedup.Reliability;

// Usage:
//   GenesysDedup.Reliability <crash|outage|two-hosts|takeover|skewed-hosts> --store <redis|dynamodb|sqlite> [options]   one scenario: JSON, then PASS/FAIL
//   GenesysDedup.Reliability failover --store redis-cluster|redis-sentinel [--wait-replicas N] [--replica-lag-ms 1000] [options]
//   GenesysDedup.Reliability report <summary.json>...                                      a markdown table of saved runs
// Exit code: 0 PASS, 1 FAIL, 2 usage.
if (args.Length > 0 && args[0] == "report")
{
    return Report.Print(args.Skip(1).ToList(), Console.Out);
}

ScenarioOptions options;
try
{
    options = ScenarioOptions.Parse(args);
    if (!Scenarios.All.ContainsKey(options.Scenario))
    {
        throw new ArgumentException($"unknown scenario '{options.Scenario}'");
    }
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"{ex.Message}");
    Console.Error.WriteLine($"usage: GenesysDedup.Reliability <{string.Join('|', Scenarios.All.Keys)}> --store <redis|dynamodb|sqlite|redis-cluster|redis-sentinel> "
        + "[--synchronous normal|full] [--wait-replicas 0] [--replica-lag-ms 1000] [--fault lock|full-disk] [--events 2000] [--duplicates 0.2] [--seed N] [--kills 4] [--lease 00:00:03] [--concurrency 16] [--rate 100] "
        + "[--give-up-after 60] [--window 2] [--downstream-delay-ms 100] [--outage-seconds 6] [--in-progress-wait 00:00:02] [--clock-skew 00:00:02] [--clock-ahead 5] [--deadline 300] [--configuration Release] [--summary FILE]");
    Console.Error.WriteLine("       GenesysDedup.Reliability report <summary.json>...");
    return 2;
}

using var deadline = new CancellationTokenSource(options.Deadline);
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    deadline.Cancel();
};

var summary = new ScenarioSummary
{
    Scenario = options.Scenario,
    Store = options.Store,
    Command = options.CommandLine(),
    Seed = options.Seed,
    Hosts = options.Scenario is "two-hosts" or "skewed-hosts" ? 2 : 1,
    InProgressWait = options.InProgressWait?.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
    ClockSkew = options.ClockSkew?.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
};
var started = TimeProvider.System.GetTimestamp();
try
{
    await Scenarios.All[options.Scenario](options, summary, deadline.Token);
}
catch (OperationCanceledException) when (deadline.IsCancellationRequested)
{
    summary.Failures.Add($"stopped at the {options.Deadline.TotalSeconds:0} s deadline (or by Ctrl+C)");
}
catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or HttpRequestException)
{
    summary.Failures.Add($"the scenario could not run: {ex.Message}");
}

summary.DurationSeconds = Math.Round(TimeProvider.System.GetElapsedTime(started).TotalSeconds, 1);
if (summary.EventsLost > 0)
{
    summary.Failures.Add($"{summary.EventsLost} unique events were never delivered downstream");
}

if (summary.ProcessedTwiceOutsideWindow > 0)
{
    summary.Failures.Add($"{summary.ProcessedTwiceOutsideWindow} unique events were delivered more than once with no fault to explain it");
}

if (summary.KeyMismatches > 0)
{
    summary.Failures.Add($"{summary.KeyMismatches} deliveries carried another Idempotency-Key than the rest of their event's");
}

summary.Verdict = summary.Failures.Count == 0 ? "PASS" : "FAIL";
var json = JsonSerializer.Serialize(summary, SummaryJsonContext.Default.ScenarioSummary);
Console.WriteLine(json);
if (options.SummaryPath is { } path)
{
    await File.WriteAllTextAsync(path, json);
}

Console.WriteLine(summary.Verdict == "PASS"
    ? $"PASS {options.Scenario} --store {options.Store}: {summary.EventsSent} events, {summary.Duplicates} duplicates, lost {summary.EventsLost}, twice outside a window {summary.ProcessedTwiceOutsideWindow}"
    : $"FAIL {options.Scenario} --store {options.Store}: {string.Join("; ", summary.Failures)}");
return summary.Verdict == "PASS" ? 0 : 1;
