namespace GenesysDedup.Domain;

/// <summary>
/// The store port. Expected answers are values; a store that cannot answer (unreachable, timed out,
/// throttled) throws <see cref="DedupStoreUnavailableException"/> and nothing else. Every write is owner-checked.
/// Times are passed in, never read from a clock, so every adapter judges expiry the same way.
/// </summary>
public interface IDedupStore
{
    /// <summary>Atomically claims the key unless a live record holds it.</summary>
    ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Records the event completed until <see cref="CompleteRequest.ExpiresAt"/>, with its fingerprint, when our claim
    /// still holds the key or nothing holds it any more (the record expired or was swept while the handler ran, or
    /// another owner's claim lapsed and nobody took it). False only when another owner holds the key (fencing).
    /// </summary>
    ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken);

    /// <summary>Deletes our claim so a retry processes the event; false when we no longer own it.</summary>
    ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="DedupStoreUnavailableException"/> when the store cannot serve requests.</summary>
    ValueTask CheckReadyAsync(CancellationToken cancellationToken);

    /// <summary>The record that holds the key at <paramref name="now"/>; null when there is none or it has expired.</summary>
    ValueTask<DedupRecord?> FindAsync(string key, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the key's record whoever owns it, so the next delivery is processed again. True when a record that held
    /// the key at <paramref name="now"/> was removed. A delivery still running then completes into the empty key (the
    /// completion is written, see <see cref="CompleteAsync"/>).
    /// </summary>
    ValueTask<bool> RemoveAsync(string key, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>A claim on a key for one delivery.</summary>
/// <param name="Key">The scoped key (namespace applied).</param>
/// <param name="Owner">A random token that only this delivery knows: it fences complete and release.</param>
/// <param name="Fingerprint">Stored with the claim; the same key with another fingerprint is a conflict.</param>
/// <param name="Now">The time the claim is judged at.</param>
/// <param name="LeaseExpiresAt">Until when the claim blocks other deliveries.</param>
public readonly record struct ClaimRequest(string Key, string Owner, string Fingerprint, DateTimeOffset Now, DateTimeOffset LeaseExpiresAt)
{
    /// <summary>
    /// The W3C <c>traceparent</c> of the delivery's span, kept with the record so a later delivery's span can link to
    /// it; null when nobody traces.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>
    /// An allowance for hosts whose clocks disagree (<c>Dedup:ClockSkew</c>): another owner's record, written by its
    /// host's clock, stops holding the key only this long after its end by ours. Never counted against our own record.
    /// </summary>
    public TimeSpan ClockSkew { get; init; }

    /// <summary>The time another owner's record is judged at: <see cref="Now"/> less <see cref="ClockSkew"/>.</summary>
    public DateTimeOffset JudgedAt => Now - ClockSkew;
}

/// <summary>A completion: written only while our claim holds the key or nothing holds it.</summary>
/// <param name="Key">The scoped key (namespace applied).</param>
/// <param name="Owner">The token of the claim being completed.</param>
/// <param name="Fingerprint">Written with the completion: a completion may find no record to keep it in.</param>
/// <param name="Now">The time the completion is judged at, recorded as the event's processed-at time.</param>
/// <param name="ExpiresAt">Until when the key answers duplicate (now + retention).</param>
public readonly record struct CompleteRequest(string Key, string Owner, string Fingerprint, DateTimeOffset Now, DateTimeOffset ExpiresAt)
{
    /// <summary>The delivery's W3C <c>traceparent</c>, as on its claim: a completion may find no record to keep it in.</summary>
    public string? TraceParent { get; init; }
}

/// <summary>What a claim found.</summary>
public enum ClaimStatus
{
    /// <summary>We own the key now: nothing was there, the record had expired, or its lease had lapsed.</summary>
    Acquired,

    /// <summary>A completed record within its retention holds the key.</summary>
    Duplicate,

    /// <summary>Another delivery holds an unexpired lease.</summary>
    InProgress,

    /// <summary>A live record holds the key with a different fingerprint.</summary>
    Conflict,
}

/// <summary>The answer to a claim.</summary>
/// <param name="Status">What the claim found.</param>
/// <param name="LeaseExpiresAt">For <see cref="ClaimStatus.InProgress"/>: when the holder's lease lapses, when known.</param>
public readonly record struct ClaimResult(ClaimStatus Status, DateTimeOffset? LeaseExpiresAt = null)
{
    /// <summary>For a record that was found (duplicate, in progress, conflict): the W3C <c>traceparent</c> of the
    /// delivery that claimed it, when the store kept one (records written before it was kept have none).</summary>
    public string? TraceParent { get; init; }

    /// <summary>The claim now holds the key.</summary>
    public static ClaimResult Acquired => new(ClaimStatus.Acquired);

    /// <summary>A completed record holds the key.</summary>
    public static ClaimResult Duplicate => new(ClaimStatus.Duplicate);

    /// <summary>A live record holds the key with another fingerprint.</summary>
    public static ClaimResult Conflict => new(ClaimStatus.Conflict);

    /// <summary>Another delivery's lease holds the key, until <paramref name="leaseExpiresAt"/> when known.</summary>
    public static ClaimResult InProgress(DateTimeOffset? leaseExpiresAt) => new(ClaimStatus.InProgress, leaseExpiresAt);
}

/// <summary>The store could not answer (unreachable, timed out, throttled). Wraps the SDK's error.</summary>
public sealed class DedupStoreUnavailableException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public DedupStoreUnavailableException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public DedupStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception wrapping the store SDK's <paramref name="innerException"/>.</summary>
    public DedupStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
