using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using GenesysDedup.Testing;

namespace GenesysDedup.Reliability;

/// <summary>
/// The fault scenarios of docs/reliability.md. Each starts real servers on loopback ports (a store, the counting
/// downstream, one or two HTTP hosts as child processes), streams events through <see cref="EventBridgeSender"/>,
/// injects its fault, and judges from what the downstream received — outside the product.
/// </summary>
internal static partial class Scenarios
{
    private static readonly TimeProvider Clock = TimeProvider.System;

    public static readonly IReadOnlyDictionary<string, Func<ScenarioOptions, ScenarioSummary, CancellationToken, Task>> All =
        new Dictionary<string, Func<ScenarioOptions, ScenarioSummary, CancellationToken, Task>>(StringComparer.Ordinal)
        {
            ["crash"] = CrashAsync,
            ["outage"] = OutageAsync,
            ["two-hosts"] = TwoHostsAsync,
            ["takeover"] = TakeoverAsync,
            ["failover"] = FailoverAsync,
            ["skewed-hosts"] = SkewedHostsAsync,
        };

    // libfaketime (Debian package faketime): moves the realtime clock of the process it is preloaded into, not the
    // monotonic one, so timers and timeouts run as usual and only the wall clock (DateTimeOffset.UtcNow) is off.
    private const string FakeTimeLibrary = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

    /// <summary>kill -9 the host at random points of the stream and restart it on the same port each time.</summary>
    private static async Task CrashAsync(ScenarioOptions options, ScenarioSummary summary, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed);
        var stream = EventStream.Create(options.Events, options.DuplicateFraction, random, RunId(options));
        await using var world = await World.StartAsync(options, hostCount: 1, cancellationToken);
        var host = world.Hosts[0];

        // One kill in each of `Kills` equal slices of the middle 80 % of the stream, at a random point of its slice.
        var thresholds = Enumerable.Range(0, options.Kills)
            .Select(k => (int)(options.Events * (0.1 + (0.8 * (k + random.NextDouble()) / options.Kills))))
            .ToArray();
        var reached = thresholds.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();

        using var sender = NewSender(options, paced: true);
        var sending = sender.SendAsync(Outbound(stream, world), Signal(thresholds, reached), cancellationToken);
        for (var k = 0; k < thresholds.Length; k++)
        {
            if (await Task.WhenAny(reached[k].Task, sending) == sending)
            {
                break;
            }

            var killedAt = Clock.GetUtcNow();
            await host.KillAsync();
            var goneAt = Clock.GetUtcNow();
            await host.StartAsync(cancellationToken);
            summary.KillTimes.Add(new KillRecord(k + 1, thresholds[k], killedAt, goneAt, Clock.GetUtcNow()));
        }

        var results = await sending;
        summary.Kills = summary.KillTimes.Count;
        var ledger = await world.StopAndCountAsync();

        Count(summary, stream, results);
        var gaps = new List<double>();
        ledger.Judge(stream.Events.Where(e => !e.IsRepublish).Select(e => e.Marker), summary, (_, first, second) =>
        {
            // The first delivery reached the downstream shortly before a kill (or while it was under way: Process.Kill
            // walks the process tree before it sends SIGKILL, so the kill lands between KilledAt and GoneAt), and the
            // next came after it: the kill interrupted that handler before its completion was recorded, and when the
            // lease lapsed a retry ran it again.
            var kill = summary.KillTimes.FirstOrDefault(k =>
                first.ReceivedAt >= k.KilledAt - options.Window && first.ReceivedAt <= k.GoneAt && second.ReceivedAt > k.GoneAt);
            if (kill is null)
            {
                return null;
            }

            var gap = (kill.KilledAt - first.ReceivedAt).TotalMilliseconds;
            gaps.Add(gap);
            return gap >= 0
                ? string.Create(CultureInfo.InvariantCulture, $"kill {kill.Number} was ordered {gap:0} ms after the first delivery")
                : string.Create(CultureInfo.InvariantCulture, $"the first delivery came while kill {kill.Number} was under way ({-gap:0} ms after it was ordered)");
        });
        summary.MaxWindowGapMs = gaps.Count > 0 ? Math.Round(gaps.Max(), 1) : null;
        if (summary.KillTimes.Count > 0)
        {
            summary.Notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"a kill lands between killed_at and gone_at (up to {summary.KillTimes.Max(k => (k.GoneAt - k.KilledAt).TotalMilliseconds):0} ms apart here); a double is explained when its first delivery came at most {options.Window.TotalSeconds:0.#} s before killed_at and before gone_at, and the next after gone_at"));
        }

        if (summary.Kills < 3)
        {
            summary.Failures.Add($"only {summary.Kills} kills happened (3 or more needed): the stream ended first");
        }
    }

    /// <summary>
    /// Take the store away mid-stream (Redis, DynamoDB: kill -9 the server; SQLite: make its file unwritable), keep
    /// sending, bring it back with its data; the sender finishes.
    /// </summary>
    private static async Task OutageAsync(ScenarioOptions options, ScenarioSummary summary, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed);
        var stream = EventStream.Create(options.Events, options.DuplicateFraction, random, RunId(options));
        await using var world = await World.StartAsync(options, hostCount: 1, cancellationToken);

        var threshold = (int)(options.Events * (0.2 + (0.2 * random.NextDouble())));
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sender = NewSender(options, paced: true);
        var sending = sender.SendAsync(Outbound(stream, world), Signal([threshold], [reached]), cancellationToken);

        DateTimeOffset? stoppingAt = null, stoppedAt = null, restartingAt = null, restartedAt = null;
        if (await Task.WhenAny(reached.Task, sending) != sending)
        {
            stoppingAt = Clock.GetUtcNow();
            await world.Store.BeginOutageAsync(cancellationToken);
            stoppedAt = Clock.GetUtcNow();
            await Task.Delay(options.OutageLength, Clock, cancellationToken);
            restartingAt = Clock.GetUtcNow();
            await world.Store.EndOutageAsync(cancellationToken);
            restartedAt = Clock.GetUtcNow();
        }

        var results = await sending;
        var ledger = await world.StopAndCountAsync();
        Count(summary, stream, results);

        if (stoppedAt is null)
        {
            summary.Failures.Add("the stream ended before the outage started");
        }
        else
        {
            summary.Outages = 1;
            summary.Fault = world.Store.Name == "sqlite" ? options.Fault : "stop";
            var during = results.SelectMany(r => r.Attempts).Where(a => a.StartedAt >= stoppedAt && a.EndedAt <= restartingAt).ToList();

            // A store that can still read (a full disk stops writes only) rightly answers from the records it holds: 200
            // duplicate for a key completed before, 429 in_progress for a live lease. Neither acknowledges new work; a
            // wrong one would show as a lost event.
            static bool IsRead(SendAttempt a) => (a.Status, a.Outcome) is (200, "duplicate") or (429, "in_progress");
            var outage = new OutageRecord(threshold, stoppingAt!.Value, stoppedAt.Value, restartingAt!.Value, restartedAt!.Value,
                during.Count,
                during.Count(a => a.Status == 503),
                during.Count(IsRead),
                during.Count(a => a.Status is >= 200 and < 300 && !IsRead(a)),
                during.Count(a => a.Status != 503 && !IsRead(a)));
            summary.Outage = outage;
            if (outage.RequestsDuringOutage == 0)
            {
                summary.Failures.Add("no request was made while the store was down");
            }

            if (outage.Acknowledged > 0)
            {
                summary.Failures.Add($"{outage.Acknowledged} requests were acknowledged (2xx, not a duplicate) while the store was down");
            }

            if (outage.OtherAnswers > 0)
            {
                var kinds = during.Where(a => a.Status != 503 && !IsRead(a)).GroupBy(AnswerOf).Select(g => $"{g.Key} ×{g.Count()}");
                summary.Failures.Add($"{outage.OtherAnswers} requests during the outage were answered neither 503 nor from a stored record ({string.Join(", ", kinds)})");
            }
        }

        // A key whose completion could not be recorded (503 "during complete") had its handler run: its retry after
        // the recovery runs it again. That is the at-least-once window of an outage; nothing else may run twice.
        var completionLost = CompletionLost(results);
        ledger.Judge(stream.Events.Where(e => !e.IsRepublish).Select(e => e.Marker), summary, (_, first, _) =>
            first.Key is not null && completionLost.Contains(first.Key) ? "the store went down before the completion was recorded (503 during complete)" : null);
    }

    /// <summary>Keys with an attempt answered 503 "during complete": the handler ran and its completion was not recorded.</summary>
    private static HashSet<string> CompletionLost(IReadOnlyList<SendResult> results) =>
        results.SelectMany(r => r.Attempts)
            .Where(a => a.Status == 503 && a.Key is not null && a.Detail?.Contains("during complete", StringComparison.Ordinal) == true)
            .Select(a => a.Key!)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// A Redis failover (a cluster shard or a Sentinel-managed pair) under an unpaced stream: cut the replica of the
    /// busiest primary off for <c>--replica-lag-ms</c>, kill -9 that primary, let the replica be promoted, start the
    /// killed node again as the new primary's replica; the sender finishes, then re-publishes every event once more.
    /// Replication is asynchronous, so a write the old primary acknowledged may be missing on the promoted replica
    /// unless <c>Dedup:Redis:WaitReplicas</c> made the store wait for it.
    /// </summary>
    private static async Task FailoverAsync(ScenarioOptions options, ScenarioSummary summary, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed);
        var stream = EventStream.Create(options.Events, options.DuplicateFraction, random, RunId(options));
        await using var world = await World.StartAsync(options, hostCount: 1, cancellationToken);
        var store = (StoreUnderTest.FailoverStore)world.Store;

        var threshold = (int)(options.Events * (0.3 + (0.2 * random.NextDouble())));
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sender = NewSender(options, paced: false);
        var sending = sender.SendAsync(Outbound(stream, world), Signal([threshold], [reached]), cancellationToken);

        DateTimeOffset? faultAt = null, promotedAt = null, replicaBackAt = null;
        ReplicaCut? cut = null;
        if (await Task.WhenAny(reached.Task, sending) != sending)
        {
            faultAt = Clock.GetUtcNow();
            cut = await store.FailPrimaryAsync(options.ReplicaLag, cancellationToken);
            await store.EndOutageAsync(cancellationToken);
            promotedAt = Clock.GetUtcNow();
            await store.RejoinAsync();
            replicaBackAt = Clock.GetUtcNow();
        }

        var results = await sending;

        // Genesys re-publishes arrive up to days later: one more of every event, after the failover, must find it
        // recorded. An acknowledged record the promoted replica lacked runs the handler again here.
        var targets = world.Hosts.Select(h => h.EventsUrl).ToArray();
        var uniques = stream.Events.Where(e => !e.IsRepublish).ToList();
        var late = await sender.SendAsync([.. uniques.Select(e => new OutboundEvent(EventBuilder.Republish(e.Body), targets, e.Marker))], cancellationToken: cancellationToken);
        var ledger = await world.StopAndCountAsync();
        Count(summary, stream, results);
        summary.WaitReplicas = options.WaitReplicas;
        summary.Notes.Add($"a late re-publish of each of the {uniques.Count} unique events after the failover was answered: "
            + string.Join(", ", late.SelectMany(r => r.Attempts).GroupBy(AnswerOf).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}"))
            + " (outcomes: " + string.Join(", ", late.Select(r => r.Attempts[^1].Outcome ?? "none").GroupBy(o => o).Select(g => $"{g.Key} ×{g.Count()}")) + ")");
        if (late.Any(r => r.Outcome != SendOutcome.Acknowledged))
        {
            summary.Failures.Add("a late re-publish was not acknowledged");
        }

        var span = results.SelectMany(r => r.Attempts).Max(a => a.EndedAt) - results.SelectMany(r => r.Attempts).Min(a => a.StartedAt);
        summary.EventsPerSecond = Math.Round(summary.Acknowledged / span.TotalSeconds, 1);
        var attempts = results.Concat(late).SelectMany(r => r.Attempts).ToList();

        // A double is the failover's at-least-once window when the first run's completion could not be recorded (503
        // during complete: the sender retried). A double after the event was acknowledged as processed is what an
        // asynchronous replica loses: an acknowledged claim or completion missing after the promotion.
        var completionLost = CompletionLost(results);
        var acknowledgedAt = attempts.Where(a => a is { Status: 200, Outcome: "processed", Key: not null })
            .GroupBy(a => a.Key!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Min(a => a.EndedAt), StringComparer.Ordinal);
        bool AcknowledgedBefore(string? key, DateTimeOffset time) => key is not null && acknowledgedAt.TryGetValue(key, out var at) && at < time;
        ledger.Judge(stream.Events.Where(e => !e.IsRepublish).Select(e => e.Marker), summary, (_, first, second) =>
            first.Key is not null && completionLost.Contains(first.Key) && !AcknowledgedBefore(first.Key, second.ReceivedAt)
                ? "the completion was not recorded before the failover (503 during complete)"
                : null);
        var redone = summary.Doubles.Where(d => d.DeliveredAt.Skip(1).Any(t => AcknowledgedBefore(d.Key, t))).Select(d => d.Key!).ToHashSet(StringComparer.Ordinal);

        if (faultAt is null)
        {
            summary.Failures.Add("the stream ended before the failover");
            return;
        }

        // The events acknowledged while the replica was cut off whose records live on the failed primary: writes the
        // promoted replica lacks, unless WAIT held their acknowledgement back.
        var onFailedPrimary = (await store.KeysOfFailedPrimaryAsync())?.Select(ValueOfRedisKey).ToHashSet(StringComparer.Ordinal);
        HashSet<string> AcknowledgedOnFailedPrimary(DateTimeOffset from, DateTimeOffset to) => acknowledgedAt
            .Where(a => a.Value >= from && a.Value <= to && (onFailedPrimary is null || onFailedPrimary.Contains(a.Key)))
            .Select(a => a.Key)
            .ToHashSet(StringComparer.Ordinal);
        var acknowledgedWhileCut = cut is null ? [] : AcknowledgedOnFailedPrimary(cut.CutAt, cut.KillAt);
        var acknowledgedBeforeTheCutHeld = cut is null ? [] : AcknowledgedOnFailedPrimary(cut.FrozenAt, cut.CutAt);

        summary.Kills = 1;
        var during = attempts.Where(a => a.StartedAt >= faultAt && a.EndedAt <= replicaBackAt).ToList();
        summary.Failover = new FailoverRecord(threshold, faultAt.Value, cut?.CutAt, cut?.KillAt, promotedAt!.Value, replicaBackAt!.Value,
            cut?.BytesNotReplicated, acknowledgedWhileCut.Count, acknowledgedWhileCut.Count(redone.Contains),
            during.Count, during.Count(a => a.Status == 503), redone.Count);
        summary.Notes.Add(cut is null
            ? string.Create(CultureInfo.InvariantCulture, $"{world.Store.Description}: the primary was killed with its replica connected")
            : string.Create(CultureInfo.InvariantCulture,
                $"{world.Store.Description}: the primary said no replica was connected from the cut to the kill {(cut.KillAt - cut.CutAt).TotalSeconds:0.00} s later, in which its replication offset went {cut.BytesNotReplicated} bytes past the replica's and {acknowledgedWhileCut.Count} events whose records it holds were acknowledged as processed ({acknowledgedWhileCut.Count(redone.Contains)} of them ran again after the failover); {acknowledgedBeforeTheCutHeld.Count} more were acknowledged between the replica's freeze and the verified cut {(cut.CutAt - cut.FrozenAt).TotalSeconds:0.00} s later ({acknowledgedBeforeTheCutHeld.Count(redone.Contains)} ran again)"));
        summary.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"the replica served the failed primary's keys {(promotedAt.Value - faultAt.Value).TotalSeconds:0.0} s after the failover began, and the killed node was its replica again {(replicaBackAt.Value - faultAt.Value).TotalSeconds:0.0} s after it began"));
        // A primary that looked dead to the Sentinels without being killed fails over too, and loses what it took
        // meanwhile: such a run does not measure the one failover it ordered.
        if (await store.FailoversAsync() is { } failovers && failovers != 1)
        {
            summary.Failures.Add(string.Create(CultureInfo.InvariantCulture, $"the Sentinels carried out {failovers} failovers, not the one the run ordered"));
        }

        if (cut is not null && options.WaitReplicas == 0 && acknowledgedWhileCut.Count == 0)
        {
            summary.Failures.Add("no event was acknowledged on the failed primary while its replica was cut off: the run did not test what a failover loses");
        }
    }

    /// <summary>The key value of a Redis key <c>genesys-dedup:namespace:source:value</c>: what the host's answers name.</summary>
    private static string ValueOfRedisKey(string redisKey) => redisKey.Split(':', 4)[^1];

    /// <summary>Two hosts sharing one store and one downstream; the sender sprays both.</summary>
    private static async Task TwoHostsAsync(ScenarioOptions options, ScenarioSummary summary, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed);
        var stream = EventStream.Create(options.Events, options.DuplicateFraction, random, RunId(options));
        await using var world = await World.StartAsync(options, hostCount: 2, cancellationToken);

        using var sender = NewSender(options, paced: false);
        var results = await sender.SendAsync(Outbound(stream, world), cancellationToken: cancellationToken);
        var ledger = await world.StopAndCountAsync();

        Count(summary, stream, results);
        ledger.Judge(stream.Events.Where(e => !e.IsRepublish).Select(e => e.Marker), summary, (_, _, _) => null);
    }

    /// <summary>
    /// Two hosts on one store whose clocks disagree: the second runs under libfaketime <c>--clock-ahead</c> seconds
    /// ahead, and slow handlers keep leases live while re-publishes reach the other host. With <c>--clock-skew</c> below
    /// the difference, the host ahead finds the other's live leases lapsed and runs their events again; with an
    /// allowance that covers it, nothing runs twice.
    /// </summary>
    private static async Task SkewedHostsAsync(ScenarioOptions options, ScenarioSummary summary, CancellationToken cancellationToken)
    {
        if (!File.Exists(FakeTimeLibrary))
        {
            throw new InvalidOperationException($"{FakeTimeLibrary} is missing: install the faketime package (scripts/install-test-deps.sh)");
        }

        var random = new Random(options.Seed);
        var stream = EventStream.Create(options.Events, options.DuplicateFraction, random, RunId(options));
        await using var world = await World.StartAsync(options, hostCount: 2, cancellationToken, clockAheadOfSecondHost: options.ClockAhead);
        var clocks = await Task.WhenAll(world.Hosts.Select(h => h.ClockAsync(cancellationToken)));
        var ahead = clocks[1] - clocks[0];
        summary.MeasuredClockAheadSeconds = ahead?.TotalSeconds;
        if (ahead is not { } difference || difference < options.ClockAhead - TimeSpan.FromSeconds(1))
        {
            summary.Failures.Add($"the second host's clock is not {options.ClockAhead.TotalSeconds:0} s ahead (Date headers {clocks[0]:O}, {clocks[1]:O}): libfaketime did not apply");
            return;
        }

        using var sender = NewSender(options, paced: false);
        var results = await sender.SendAsync(Outbound(stream, world), cancellationToken: cancellationToken);
        var ledger = await world.StopAndCountAsync();

        Count(summary, stream, results);
        var allowance = options.ClockSkew ?? TimeSpan.FromSeconds(2);
        var expectDoubles = allowance < difference - TimeSpan.FromSeconds(1);
        // A sender that times out cancels the handler it was waiting for, which releases the claim after the downstream
        // may have had the event: its retry runs it again whatever the clocks say (the at-least-once window of a timeout).
        var timedOut = results.Where(r => r.Attempts.Any(a => AnswerOf(a) == "timeout")).Select(r => r.Label).ToHashSet(StringComparer.Ordinal);
        var byClock = new HashSet<string>(StringComparer.Ordinal);
        ledger.Judge(stream.Events.Where(e => !e.IsRepublish).Select(e => e.Marker), summary, (marker, _, _) =>
        {
            if (timedOut.Contains(marker))
            {
                return "the sender timed out while the handler ran: it was cancelled and released, and the retry ran it again";
            }

            byClock.Add(marker);
            return expectDoubles
                ? string.Create(CultureInfo.InvariantCulture, $"the host {difference.TotalSeconds:0} s ahead, allowing {allowance.TotalSeconds:0.#} s, took over a live lease")
                : null;
        });
        summary.RanTwiceByClock = byClock.Count;
        if (expectDoubles && byClock.Count == 0)
        {
            summary.Failures.Add("no event ran twice with the allowance below the clock difference: the handlers did not straddle a lease");
        }
    }

    /// <summary>
    /// A handler stalls past its lease: the downstream holds the first delivery of each key; the sender's retry gets
    /// 429 until the lease lapses, takes the key over and completes; then the stalled handler is let go, and its late
    /// completion must be refused (fencing, counted in <c>genesys_dedup_lease_lost_total</c>) while the key stays
    /// completed (a later send is a duplicate).
    /// </summary>
    private static async Task TakeoverAsync(ScenarioOptions options, ScenarioSummary summary, CancellationToken cancellationToken)
    {
        const int keys = 5;
        var runId = RunId(options);
        await using var world = await World.StartAsync(options, hostCount: 1, cancellationToken, handlerTimeout: TimeSpan.FromSeconds(30));
        var host = world.Hosts[0];
        var events = Enumerable.Range(0, keys)
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"takeover-{runId}-{i}"))
            .Select(key => (Key: key, Body: EventBuilder.Tutorial(key)))
            .ToList();
        var held = events.Select(e => world.Downstream.HoldNext(e.Key)).ToList();

        // The first deliveries: each claims its key, and its handler stalls at the downstream.
        using var patient = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var stalled = events.Select(e => PostAsync(patient, host.EventsUrl, e.Body, cancellationToken)).ToList();
        await Task.WhenAll(held.Select(h => h.Arrived)).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

        // The sender's retries: 429 while the lease runs, then one takes the key over and completes it.
        using var sender = NewSender(options, paced: false);
        var outbound = events.Select(e => new OutboundEvent(e.Body, host.EventsUrl, e.Key)).ToList();
        var takeovers = await sender.SendAsync(outbound, cancellationToken: cancellationToken);

        // Now the stalled handlers finish; their completions come too late.
        foreach (var h in held)
        {
            h.Release();
        }

        var late = await Task.WhenAll(stalled);
        var after = await sender.SendAsync(outbound, cancellationToken: cancellationToken);
        summary.LeaseLost = await LeaseLostAsync(patient, host.MetricsUrl, keys, cancellationToken);
        var ledger = await world.StopAndCountAsync();

        Count(summary, [.. takeovers, .. after]);
        summary.EventsSent = keys * 3; // the stalled first sends, the takeovers, the sends after
        summary.UniqueEvents = keys;
        summary.Duplicates = keys * 2;
        Require(summary, takeovers.All(r => r.Attempts[^1].Outcome == "processed"), "a retry did not take the lapsed lease over and process the event");
        Require(summary, takeovers.All(r => r.Attempts.Any(a => a.Outcome == "in_progress")), "a retry was not answered in_progress while the lease ran");
        Require(summary, late.All(a => a == (200, "processed")), $"the stalled deliveries were answered {string.Join(", ", late.Select(a => $"{a.Status} {a.Outcome}"))}, not 200 processed");
        Require(summary, after.All(r => r.Attempts[^1].Outcome == "duplicate"), "after the takeover the key was not completed (a send was not a duplicate)");
        Require(summary, summary.LeaseLost == keys, $"genesys_dedup_lease_lost_total is {summary.LeaseLost}, not {keys}: a late completion was not refused");
        ledger.Judge(events.Select(e => e.Key), summary, (_, first, _) =>
            held.Any(h => ReferenceEquals(h.Arrived.Result, first)) ? "the first delivery's handler stalled past its lease and a retry took the key over" : null);
    }

    private static async Task<(int Status, string? Outcome)> PostAsync(HttpClient client, Uri url, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        using var response = await client.PostAsync(url, content, cancellationToken);
        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        return ((int)response.StatusCode, document.RootElement.TryGetProperty("outcome", out var outcome) ? outcome.GetString() : null);
    }

    /// <summary>Reads <c>genesys_dedup_lease_lost_total</c> from /metrics, waiting briefly for the exporter's cache to show <paramref name="expected"/>.</summary>
    private static async Task<long?> LeaseLostAsync(HttpClient client, Uri metrics, long expected, CancellationToken cancellationToken)
    {
        long? value = null;
        try
        {
            await LoopbackPort.WaitUntilAsync(
                async ct =>
                {
                    var text = await client.GetStringAsync(metrics, ct);
                    var match = LeaseLostLine().Match(text);
                    value = match.Success ? long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
                    return value == expected;
                },
                TimeSpan.FromSeconds(5),
                () => "lease_lost",
                cancellationToken);
        }
        catch (TimeoutException)
        {
            // report what was seen
        }

        return value;
    }

    [GeneratedRegex(@"^genesys_dedup_lease_lost_total(\{[^}]*\})?\s+(\d+)", RegexOptions.Multiline)]
    private static partial Regex LeaseLostLine();

    private static void Require(ScenarioSummary summary, bool condition, string failure)
    {
        if (!condition)
        {
            summary.Failures.Add(failure);
        }
    }

    /// <summary>An API destination bounded for a run: a minute per event, backoff from 250 ms up to 5 s.</summary>
    private static EventBridgeSender NewSender(ScenarioOptions options, bool paced) => new(new EventBridgeSenderOptions
    {
        MaxConcurrency = options.Concurrency,
        EventsPerSecond = paced ? options.EventsPerSecond : 0,
        GiveUpAfter = options.GiveUpAfter,
        InitialBackoff = TimeSpan.FromMilliseconds(250),
        MaxBackoff = TimeSpan.FromSeconds(5),
        Seed = options.Seed,
        TimeProvider = Clock,
    });

    private static List<OutboundEvent> Outbound(EventStream stream, World world)
    {
        var targets = world.Hosts.Select(h => h.EventsUrl).ToArray();
        return [.. stream.Events.Select(e => new OutboundEvent(e.Body, targets, e.Marker))];
    }

    private static Action<int> Signal(int[] thresholds, TaskCompletionSource[] reached) => dispatched =>
    {
        for (var k = 0; k < thresholds.Length; k++)
        {
            if (dispatched >= thresholds[k])
            {
                reached[k].TrySetResult();
            }
        }
    };

    private static void Count(ScenarioSummary summary, EventStream stream, IReadOnlyList<SendResult> results)
    {
        summary.EventsSent = stream.Events.Count;
        summary.UniqueEvents = stream.Unique;
        summary.Duplicates = stream.Duplicates;
        Count(summary, results);
    }

    private static void Count(ScenarioSummary summary, IReadOnlyList<SendResult> results)
    {
        foreach (var attempt in results.SelectMany(r => r.Attempts))
        {
            summary.Attempts++;
            Increment(summary.Answers, AnswerOf(attempt));
            if (attempt.Outcome is { } outcome)
            {
                Increment(summary.Outcomes, outcome);
            }
        }

        summary.Retries = results.Sum(r => r.Attempts.Count - 1);
        summary.Answered429 = results.Sum(r => r.Attempts.Count(a => a.Status == 429));
        summary.Acknowledged = results.Count(r => r.Outcome == SendOutcome.Acknowledged);
        summary.Rejected = results.Count(r => r.Outcome == SendOutcome.Rejected);
        summary.GaveUp = results.Count(r => r.Outcome == SendOutcome.GaveUp);
        if (summary.Rejected > 0)
        {
            var statuses = results.Where(r => r.Outcome == SendOutcome.Rejected).GroupBy(r => r.FinalStatus).Select(g => $"{g.Key} ×{g.Count()}");
            summary.Failures.Add($"{summary.Rejected} events were rejected ({string.Join(", ", statuses)})");
        }

        if (summary.GaveUp > 0)
        {
            summary.Failures.Add($"the sender gave up on {summary.GaveUp} events");
        }
    }

    private static string AnswerOf(SendAttempt attempt) =>
        attempt.Status?.ToString(CultureInfo.InvariantCulture)
        ?? (attempt.Error?.StartsWith("timeout", StringComparison.Ordinal) == true ? "timeout" : "connection error");

    private static void Increment(SortedDictionary<string, int> counts, string key) =>
        counts[key] = counts.TryGetValue(key, out var n) ? n + 1 : 1;

    private static string RunId(ScenarioOptions options) =>
        string.Create(CultureInfo.InvariantCulture, $"{options.Scenario}-{options.Store}-{options.Seed}-{Environment.ProcessId}");

    /// <summary>The servers of one run.</summary>
    private sealed class World : IAsyncDisposable
    {
        private World(StoreUnderTest store, CountingDownstream downstream)
        {
            Store = store;
            Downstream = downstream;
        }

        public StoreUnderTest Store { get; }

        public CountingDownstream Downstream { get; }

        public List<HostUnderTest> Hosts { get; } = [];

        public static async Task<World> StartAsync(
            ScenarioOptions options, int hostCount, CancellationToken cancellationToken, TimeSpan? handlerTimeout = null, TimeSpan? clockAheadOfSecondHost = null)
        {
            var hostDll = HostDll(options.Configuration);
            var store = await StoreUnderTest.StartAsync(options, RunId(options), cancellationToken);
            var world = new World(store, await CountingDownstream.StartAsync(Clock, cancellationToken));
            world.Downstream.AnswerDelay = options.DownstreamDelay;
            try
            {
                for (var i = 0; i < hostCount; i++)
                {
                    var host = new HostUnderTest(hostDll, store, world.Downstream.Url, options.Lease, handlerTimeout, HostSettings(options, i == 1 ? clockAheadOfSecondHost : null));
                    world.Hosts.Add(host);
                    await host.StartAsync(cancellationToken);
                }
            }
            catch
            {
                await world.DisposeAsync();
                throw;
            }

            return world;
        }

        /// <summary>Stops the hosts (so nothing more reaches the downstream), then reads what the downstream received.</summary>
        public async Task<Ledger> StopAndCountAsync()
        {
            foreach (var host in Hosts)
            {
                await host.KillAsync();
            }

            return new Ledger(Downstream.Deliveries);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var host in Hosts)
            {
                await host.DisposeAsync();
            }

            await Downstream.DisposeAsync();
            await Store.DisposeAsync();
        }

        private static Dictionary<string, string?> HostSettings(ScenarioOptions options, TimeSpan? clockAhead)
        {
            var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
            if (options.InProgressWait is { } wait)
            {
                settings["Dedup__InProgressWait"] = wait.ToString("c", CultureInfo.InvariantCulture);
            }

            if (options.ClockSkew is { } skew)
            {
                settings["Dedup__ClockSkew"] = skew.ToString("c", CultureInfo.InvariantCulture);
            }

            if (clockAhead is { } ahead)
            {
                settings["LD_PRELOAD"] = FakeTimeLibrary;
                settings["FAKETIME"] = string.Create(CultureInfo.InvariantCulture, $"+{ahead.TotalSeconds:0}");
                settings["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
            }

            return settings;
        }

        private static string HostDll(string configuration)
        {
            var dll = Path.Combine(RepositoryRoot.Find(), "hosts", "GenesysDedup.Hosts.Http", "bin", configuration, "net10.0", "GenesysDedup.Hosts.Http.dll");
            return File.Exists(dll)
                ? dll
                : throw new InvalidOperationException($"{dll} is missing: build it first (dotnet build GenesysDedup.sln -c {configuration}).");
        }
    }
}
