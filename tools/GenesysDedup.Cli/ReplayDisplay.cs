using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace GenesysDedup.Cli;

/// <summary>
/// What <c>replay</c> shows: progress on stderr (a live bar on a terminal, a plain line per 1,000 events or per
/// second when redirected), then on stdout the table of outcomes and each event to look at, or with <c>--json</c>
/// the whole <see cref="ReplayReport"/>.
/// </summary>
internal static class ReplayDisplay
{
    private const int LineEvery = 1000;

    public static async Task<ReplayReport> TrackAsync(int total, TimeProvider time, Func<IReplayProgress, Task<ReplayReport>> run)
    {
        if (Console.IsErrorRedirected)
        {
            return await run(new ProgressLines(total, Console.Error, time)).ConfigureAwait(false);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("replay", maxValue: Math.Max(total, 1));
                return await run(new ProgressBar(task)).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    public static void Write(ReplayReport report, bool json, TextWriter output)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Output.ReplayReport));
            return;
        }

        foreach (var e in report.Events)
        {
            output.WriteLine(string.Join('\t', new[] { $"{new InputLocation(e.File, e.Line)}", e.Outcome, e.Key, e.Detail }.Where(p => p is not null)));
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var table = new Table().AddColumn(report.DryRun ? "would be" : "outcome").AddColumn(new TableColumn("events").RightAligned());
        foreach (var (outcome, count) in report.Outcomes.Where(o => o.Value > 0 || o.Key != Outcomes.NotAttempted))
        {
            table.AddRow(new Text(outcome), new Text(count.ToString(CultureInfo.InvariantCulture)));
        }

        console.Write(table);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Total} events in {report.ElapsedSeconds:F1} s ({report.EventsPerSecond:F0}/s){(report.DryRun ? "; dry run, nothing changed" : "")}"));
    }

    /// <summary>Counts per outcome, as "processed 700, duplicate 300".</summary>
    private sealed class Tally
    {
        private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

        public int Done { get; private set; }

        public void Add(string outcome)
        {
            Done++;
            _counts[outcome] = _counts.GetValueOrDefault(outcome) + 1;
        }

        public override string ToString() => string.Join(", ", _counts.Select(c => $"{c.Key} {c.Value}"));
    }

    private sealed class ProgressLines(int total, TextWriter error, TimeProvider time) : IReplayProgress
    {
        private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);
        private readonly Lock _sync = new();
        private readonly Tally _tally = new();
        private long _last = time.GetTimestamp();

        public void Completed(ReplayEvent result)
        {
            lock (_sync)
            {
                _tally.Add(result.Outcome);
                if (_tally.Done % LineEvery == 0 || _tally.Done == total || time.GetElapsedTime(_last) >= Every)
                {
                    _last = time.GetTimestamp();
                    error.WriteLine($"progress {_tally.Done}/{total}: {_tally}");
                }
            }
        }
    }

    private sealed class ProgressBar(ProgressTask task) : IReplayProgress
    {
        private readonly Lock _sync = new();
        private readonly Tally _tally = new();

        public void Completed(ReplayEvent result)
        {
            lock (_sync)
            {
                _tally.Add(result.Outcome);
                task.Description = Markup.Escape(_tally.ToString());
                task.Increment(1);
            }
        }
    }
}
