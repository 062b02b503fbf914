using System.Globalization;
using System.Text.Json;

namespace GenesysDedup.Reliability;

/// <summary>Prints saved scenario summaries as one markdown table.</summary>
internal static class Report
{
    public static int Print(IReadOnlyList<string> files, TextWriter output)
    {
        output.WriteLine("| scenario | store | wait / skew | events sent | duplicates | kills | outages | requests during outage / 503 | 429s | retries | lost | twice outside a window | at-least-once window | lease lost | gave up | seconds | events/s | verdict |");
        output.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        var allPassed = true;
        foreach (var file in files)
        {
            ScenarioSummary? summary;
            try
            {
                summary = JsonSerializer.Deserialize(File.ReadAllText(file), SummaryJsonContext.Default.ScenarioSummary);
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                summary = null;
            }

            if (summary is null)
            {
                output.WriteLine($"| {Path.GetFileNameWithoutExtension(file)} | | | | | | | | | | | | | | | | | FAIL (no summary) |");
                allPassed = false;
                continue;
            }

            allPassed &= summary.Verdict == "PASS";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {summary.Scenario} | {summary.Store}{(summary.Fault is "lock" or "full-disk" ? $" ({summary.Fault})" : "")}{(summary.WaitReplicas is { } wait ? $" (WaitReplicas {wait})" : "")} | {summary.InProgressWait ?? "default"} / {summary.ClockSkew ?? "default"}{(summary.MeasuredClockAheadSeconds is { } ahead ? $" (clock +{ahead:0} s)" : "")} | {summary.EventsSent:N0} | {summary.Duplicates} | {summary.Kills} | {summary.Outages} | {(summary.Outage is { } o ? $"{o.RequestsDuringOutage} / {o.Answered503}{(o.AnsweredFromRecords > 0 ? $" (+{o.AnsweredFromRecords} from records)" : "")}" : summary.Failover is { } f ? $"{f.RequestsDuringFailover} / {f.Answered503}" : "–")} | {summary.Answered429} | {summary.Retries} | {summary.EventsLost} | {summary.ProcessedTwiceOutsideWindow}{(summary.RanTwiceByClock is { } byClock ? $" (by the clocks: {byClock})" : "")} | {summary.AtLeastOnceWindow} | {(summary.LeaseLost is { } l ? l.ToString(CultureInfo.InvariantCulture) : "–")} | {summary.GaveUp} | {summary.DurationSeconds:0.0} | {(summary.EventsPerSecond is { } rate ? rate.ToString("0", CultureInfo.InvariantCulture) : "–")} | {summary.Verdict} |"));
        }

        return allPassed ? 0 : 1;
    }
}
