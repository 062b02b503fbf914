namespace GenesysDedup.Domain;

/// <summary>What happened to one delivery of an event. The wire name (lower-case) is part of the contract.</summary>
public enum DedupOutcome
{
    /// <summary>New event: the handlers ran and succeeded; the key is recorded as completed.</summary>
    Processed,

    /// <summary>The key was completed within the retention window; nothing ran.</summary>
    Duplicate,

    /// <summary>Another delivery holds an unexpired claim on the key; retry later.</summary>
    InProgress,

    /// <summary>The key is known with a different fingerprint: two different events share one key.</summary>
    Conflict,

    /// <summary>A handler threw; the claim was released so a retry processes the event.</summary>
    Failed,

    /// <summary>The store could not be reached or throttled; nothing was acknowledged.</summary>
    StoreUnavailable,

    /// <summary>The input is not an acceptable event.</summary>
    Invalid,
}

/// <summary>The wire name of a <see cref="DedupOutcome"/>, and whether it may be acknowledged.</summary>
public static class DedupOutcomeExtensions
{
    /// <summary>The lower-case name used in every response, log line and metric.</summary>
    public static string ToWireName(this DedupOutcome outcome) => outcome switch
    {
        DedupOutcome.Processed => "processed",
        DedupOutcome.Duplicate => "duplicate",
        DedupOutcome.InProgress => "in_progress",
        DedupOutcome.Conflict => "conflict",
        DedupOutcome.Failed => "failed",
        DedupOutcome.StoreUnavailable => "store_unavailable",
        DedupOutcome.Invalid => "invalid",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    /// <summary>True when the event may be acknowledged to the sender: it ran once, now or before.</summary>
    public static bool IsAcknowledged(this DedupOutcome outcome) =>
        outcome is DedupOutcome.Processed or DedupOutcome.Duplicate;
}
