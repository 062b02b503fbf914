namespace GenesysDedup.Domain;

/// <summary>Record status values, as stored (docs/behaviour.md#stores).</summary>
public static class RecordStatus
{
    /// <summary>A delivery holds the key under a lease.</summary>
    public const string InProgress = "IN_PROGRESS";
    /// <summary>The event was processed; the key answers duplicate until the record expires.</summary>
    public const string Completed = "COMPLETED";
}

/// <summary>
/// A store's record as read back, and the one place that decides what a claim finds (docs/behaviour.md#claim-complete-release): every adapter
/// that reads a record judges it here, from stored timestamps, so they cannot drift apart.
/// </summary>
public readonly record struct StoredRecord(string Status, string Owner, string? Fingerprint, DateTimeOffset LeaseExpiresAt, DateTimeOffset ExpiresAt)
{
    /// <summary>The W3C <c>traceparent</c> of the delivery that wrote the record; null when it kept none.</summary>
    public string? TraceParent { get; init; }

    /// <summary>
    /// When the event was completed (the completion's <see cref="CompleteRequest.Now"/>, to the store's precision); null
    /// while in progress and for a record written before the store kept it.
    /// </summary>
    public DateTimeOffset? ProcessedAt { get; init; }

    /// <summary>Whether the record still blocks a claim at <paramref name="now"/>.</summary>
    public bool IsLive(DateTimeOffset now) => IsLive(Status == RecordStatus.Completed, LeaseExpiresAt, ExpiresAt, now);

    /// <summary><see cref="IsLive(DateTimeOffset)"/> for a store that holds the record in another shape.</summary>
    public static bool IsLive(bool completed, DateTimeOffset leaseExpiresAt, DateTimeOffset expiresAt, DateTimeOffset now) =>
        completed ? now < expiresAt : now < leaseExpiresAt && now < expiresAt;

    /// <summary>What a claim by <paramref name="request"/> finds when this record holds the key.</summary>
    public ClaimResult Judge(ClaimRequest request)
    {
        var found = Judge(
            live: IsLive(request.JudgedAt),
            sameOwner: Owner == request.Owner,
            fingerprintDiffers: Fingerprint is not null && Fingerprint != request.Fingerprint,
            completed: Status == RecordStatus.Completed,
            LeaseExpiresAt);
        return found.Status == ClaimStatus.Acquired ? found : found with { TraceParent = TraceParent };
    }

    /// <summary><see cref="Judge(ClaimRequest)"/> for a store that compares owners and fingerprints its own way.</summary>
    public static ClaimResult Judge(bool live, bool sameOwner, bool fingerprintDiffers, bool completed, DateTimeOffset leaseExpiresAt)
    {
        if (!live || sameOwner)
        {
            // Expired, lapsed, or our own claim read back after an ambiguous retried write.
            return ClaimResult.Acquired;
        }

        if (fingerprintDiffers)
        {
            return ClaimResult.Conflict;
        }

        return completed ? ClaimResult.Duplicate : ClaimResult.InProgress(leaseExpiresAt);
    }
}
