using System.Text.Json.Serialization;

namespace GenesysDedup.Reliability;

/// <summary>What one scenario run did and found; printed as JSON and written to <c>--summary</c>.</summary>
internal sealed class ScenarioSummary
{
    public required string Scenario { get; init; }

    public required string Store { get; init; }

    public required string Command { get; init; }

    public required int Seed { get; init; }

    public int Hosts { get; set; }

    /// <summary>The hosts' <c>Dedup:InProgressWait</c> and <c>Dedup:ClockSkew</c> (null: the host's default).</summary>
    public string? InProgressWait { get; set; }

    public string? ClockSkew { get; set; }

    /// <summary>skewed-hosts: how far the second host's clock ran ahead of the first's, as their Date headers showed it.</summary>
    public double? MeasuredClockAheadSeconds { get; set; }

    public int EventsSent { get; set; }

    public int UniqueEvents { get; set; }

    public int Duplicates { get; set; }

    public int Kills { get; set; }

    public List<KillRecord> KillTimes { get; } = [];

    public int Outages { get; set; }

    /// <summary>What the outage was: <c>stop</c> (the server killed), or for SQLite <c>lock</c> or <c>full-disk</c>.</summary>
    public string? Fault { get; set; }

    public OutageRecord? Outage { get; set; }

    /// <summary>The hosts' <c>Dedup:Redis:WaitReplicas</c> (redis-cluster and redis-sentinel only).</summary>
    public int? WaitReplicas { get; set; }

    public FailoverRecord? Failover { get; set; }

    /// <summary>Events acknowledged per second of the whole stream, from the first send to the last answer.</summary>
    public double? EventsPerSecond { get; set; }

    /// <summary>HTTP attempts the sender made, and what answered them (status code, <c>timeout</c>, <c>connection error</c>).</summary>
    public int Attempts { get; set; }

    public SortedDictionary<string, int> Answers { get; } = new(StringComparer.Ordinal);

    /// <summary>Attempts beyond the first of each event: what a 429, 5xx or timeout costs the sender.</summary>
    public int Retries { get; set; }

    /// <summary>Attempts answered 429 (in_progress).</summary>
    public int Answered429 { get; set; }

    /// <summary>skewed-hosts: unique events run twice with no sender timeout to explain them, i.e. by the clocks.</summary>
    public int? RanTwiceByClock { get; set; }

    /// <summary>The <c>outcome</c> member of the answers.</summary>
    public SortedDictionary<string, int> Outcomes { get; } = new(StringComparer.Ordinal);

    public int Acknowledged { get; set; }

    public int Rejected { get; set; }

    public int GaveUp { get; set; }

    /// <summary>Deliveries the counting downstream received (each one a run of the handler).</summary>
    public int DownstreamDeliveries { get; set; }

    /// <summary>Unique events never delivered downstream. Goal 0.</summary>
    public int EventsLost { get; set; }

    /// <summary>Unique events delivered more than once with no fault to explain it. Goal 0.</summary>
    public int ProcessedTwiceOutsideWindow { get; set; }

    /// <summary>Unique events delivered twice because a kill (or a store stop) interrupted the delivery that ran first.</summary>
    public int AtLeastOnceWindow { get; set; }

    /// <summary>For the crash window: the largest time from a first delivery to the order of the kill that explains it (negative: it came while the kill was under way).</summary>
    public double? MaxWindowGapMs { get; set; }

    /// <summary>The host's <c>genesys_dedup_lease_lost_total</c> at the end: completions refused by fencing.</summary>
    public long? LeaseLost { get; set; }

    /// <summary>Deliveries whose Idempotency-Key was not the key every other delivery of the event carried. Goal 0.</summary>
    public int KeyMismatches { get; set; }

    public List<DoubleRecord> Doubles { get; } = [];

    public double DurationSeconds { get; set; }

    public string Verdict { get; set; } = "FAIL";

    public List<string> Failures { get; } = [];

    public List<string> Notes { get; } = [];
}

/// <summary>One kill -9 of a host: when it was ordered, when the process was gone, when its restart answered ready.</summary>
internal sealed record KillRecord(int Number, int AfterEventsDispatched, DateTimeOffset KilledAt, DateTimeOffset GoneAt, DateTimeOffset ReadyAgainAt);

/// <summary>
/// One store outage: the store was down from <see cref="StoppedAt"/> until its recovery began at
/// <see cref="RestartingAt"/>. Requests that started after the one and ended before the other are the outage's.
/// <see cref="AnsweredFromRecords"/>: 200 duplicate and 429 in_progress, which a store that still reads can give.
/// </summary>
internal sealed record OutageRecord(
    int AfterEventsDispatched,
    DateTimeOffset StoppingAt,
    DateTimeOffset StoppedAt,
    DateTimeOffset RestartingAt,
    DateTimeOffset RestartedAt,
    int RequestsDuringOutage,
    int Answered503,
    int AnsweredFromRecords,
    int Acknowledged,
    int OtherAnswers);

/// <summary>
/// One failover of a Redis primary (a cluster shard or a Sentinel-managed pair), begun at <see cref="FaultAt"/>: its
/// replica cut off from <see cref="CutAt"/> (verified on the primary) and the primary killed at <see cref="KilledAt"/>,
/// the replica serving its keys from <see cref="PromotedAt"/>, the killed node back as that replica's replica at
/// <see cref="ReplicaBackAt"/>. <see cref="BytesNotReplicated"/>: how far the primary's replication offset went past
/// the replica's while it was cut off. <see cref="AcknowledgedWhileCutOff"/>: events answered 200 processed in that
/// time whose records the failed primary held (of them, <see cref="AcknowledgedWhileCutOffRanAgain"/> ran again).
/// Requests are the failover's when they started after the fault and ended before the replica was back.
/// <see cref="ProcessedTwiceAfterAcknowledgement"/>: events run again after an answer 200 processed, i.e. whose
/// acknowledged record the promoted replica lacked.
/// </summary>
internal sealed record FailoverRecord(
    int AfterEventsDispatched,
    DateTimeOffset FaultAt,
    DateTimeOffset? CutAt,
    DateTimeOffset? KilledAt,
    DateTimeOffset PromotedAt,
    DateTimeOffset ReplicaBackAt,
    long? BytesNotReplicated,
    int AcknowledgedWhileCutOff,
    int AcknowledgedWhileCutOffRanAgain,
    int RequestsDuringFailover,
    int Answered503,
    int ProcessedTwiceAfterAcknowledgement);

/// <summary>A unique event the downstream received more than once, and what explains it (null: nothing — a failure).</summary>
internal sealed record DoubleRecord(string Marker, string? Key, IReadOnlyList<DateTimeOffset> DeliveredAt, string? Explanation);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ScenarioSummary))]
internal sealed partial class SummaryJsonContext : JsonSerializerContext;
