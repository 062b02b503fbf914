using System.Text.Json.Serialization;
using GenesysDedup.Application;
using GenesysDedup.Domain;

namespace GenesysDedup.Cli;

/// <summary>How <c>replay</c> runs: a preview or the real thing, at most <see cref="Rate"/> events a second, <see cref="Concurrency"/> at once.</summary>
internal sealed record ReplaySettings(bool DryRun, double? Rate, int Concurrency);

/// <summary>What happened to one input (or, in a dry run, what would).</summary>
/// <param name="Outcome">An engine outcome's wire name; in a dry run <c>new</c>, <c>duplicate</c>, <c>in_progress</c>, <c>conflict</c> or <c>invalid</c>.</param>
internal sealed record ReplayEvent(string File, int Line, string Outcome, string? Key = null, string? Detail = null)
{
    /// <summary>Processed or duplicate (in a dry run: new or duplicate): nothing for the operator to look at.</summary>
    [JsonIgnore]
    public bool Ok { get; init; }

    public static ReplayEvent Bad(InputItem item) =>
        new(item.Location.File, item.Location.Line, Outcomes.Invalid, Detail: item.Error);
}

/// <summary>The outcome names a replay counts, in the order its table lists them.</summary>
internal static class Outcomes
{
    public const string New = "new";
    public const string Invalid = "invalid";
    public const string NotAttempted = "not_attempted";

    public static IReadOnlyList<string> Replay { get; } =
        [.. Enum.GetValues<DedupOutcome>().Select(o => o.ToWireName()), NotAttempted];

    public static IReadOnlyList<string> DryRun { get; } =
        [New, DedupOutcome.Duplicate.ToWireName(), DedupOutcome.InProgress.ToWireName(), DedupOutcome.Conflict.ToWireName(), Invalid, DedupOutcome.StoreUnavailable.ToWireName(), NotAttempted];
}

/// <summary>Receives each input's result as it is known (the progress display).</summary>
internal interface IReplayProgress
{
    void Completed(ReplayEvent result);
}

/// <summary>
/// Pushes the inputs through <paramref name="deliver"/> — the engine and the configured handler, or the dry-run
/// preview — in input order, <see cref="ReplaySettings.Concurrency"/> at a time, paced to <see cref="ReplaySettings.Rate"/>.
/// <paramref name="stop"/> (Ctrl-C) stops starting events; the ones in flight finish, so each either completes or is
/// released, and a second run finds it processed or free.
/// </summary>
internal sealed class ReplayRunner(Func<InputItem, ValueTask<ReplayEvent>> deliver, TimeProvider time)
{
    public async Task<ReplayReport> RunAsync(IReadOnlyList<InputItem> items, ReplaySettings settings, IReplayProgress progress, CancellationToken stop)
    {
        var results = new ReplayEvent?[items.Count];
        var started = time.GetTimestamp();
        var paced = -1;
        var options = new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = stop };
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), options, async (index, token) =>
            {
                var item = items[index];
                if (item.Error is null && settings.Rate is { } rate)
                {
                    // Event n starts no sooner than n / rate seconds after the first.
                    var due = TimeSpan.FromSeconds(Interlocked.Increment(ref paced) / rate) - time.GetElapsedTime(started);
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, time, token).ConfigureAwait(false);
                    }
                }

                // Not cancelled by Ctrl-C: an event that has started finishes.
                var result = item.Error is null ? await deliver(item).ConfigureAwait(false) : ReplayEvent.Bad(item);
                results[index] = result;
                progress.Completed(result);
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Interrupted: what did not start is counted as not attempted.
        }

        var elapsed = time.GetElapsedTime(started);
        var names = settings.DryRun ? Outcomes.DryRun : Outcomes.Replay;
        var counts = names.ToDictionary(name => name, _ => 0);
        var attention = new List<ReplayEvent>();
        for (var i = 0; i < results.Length; i++)
        {
            var result = results[i] ?? new ReplayEvent(items[i].Location.File, items[i].Location.Line, Outcomes.NotAttempted);
            counts[result.Outcome]++;
            if (!result.Ok || settings.DryRun)
            {
                attention.Add(result);
            }
        }

        var attempted = results.Count(r => r is not null);
        return new ReplayReport(
            settings.DryRun,
            items.Count,
            Interrupted: attempted < items.Count,
            Math.Round(elapsed.TotalSeconds, 3),
            elapsed > TimeSpan.Zero ? Math.Round(attempted / elapsed.TotalSeconds, 1) : 0,
            counts,
            attention);
    }

    /// <summary>The real run: each event through the engine and the configured handler.</summary>
    public static Func<InputItem, ValueTask<ReplayEvent>> Through(IEventDeduplicator dedup) => async item =>
    {
        var result = await dedup.ProcessAsync(item.Event, CancellationToken.None).ConfigureAwait(false);
        var detail = result.Exception is { } ex ? $"{result.Detail}: {ex.Message}" : result.Detail;
        return new ReplayEvent(item.Location.File, item.Location.Line, result.Outcome.ToWireName(), result.Key, detail)
        {
            Ok = result.Outcome.IsAcknowledged(),
        };
    };
}

/// <summary>What <c>replay</c> prints at the end (<c>--json</c> writes it as it is).</summary>
/// <param name="Events">Each event the operator should look at: not processed or duplicate; in a dry run, every event.</param>
internal sealed record ReplayReport(
    bool DryRun,
    int Total,
    bool Interrupted,
    double ElapsedSeconds,
    double EventsPerSecond,
    Dictionary<string, int> Outcomes,
    IReadOnlyList<ReplayEvent> Events)
{
    /// <summary>0 when every event was processed or duplicate (in a dry run: would be new or duplicate), else 1.</summary>
    [JsonIgnore]
    public int ExitCode => Events.All(e => e.Ok) && !Interrupted ? ExitCodes.Ok : ExitCodes.NotAll;
}
