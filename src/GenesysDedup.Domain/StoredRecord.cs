namespace GenesysDedup.Domain;

/// <summary>Record status values, as stored (SPEC §5).</summary>
public static class RecordStatus
{
    public const string InProgress = "IN_PROGRESS";
    public const string Completed = "COMPLETED";
}

/// <summary>
/// A store's record as read back, and the one place that decides what a claim finds (SPEC §4): every adapter
/// that reads a record judges it here, from stored timestamps, so they cannot drift apart.
/// </summary>
public readonly record struct StoredRecord(string Status, string Owner, string? Fingerprint, DateTimeOffset LeaseExpiresAt, DateTimeOffset ExpiresAt)
{
    /// <summary>Whether the record still blocks a claim at <paramref name="now"/>.</summary>
    public bool IsLive(DateTimeOffset now) =>
        Status == RecordStatus.Completed ? now < ExpiresAt : now < LeaseExpiresAt && now < ExpiresAt;

    /// <summary>What a claim by <paramref name="request"/> finds when this record holds the key.</summary>
    public ClaimResult Judge(ClaimRequest request)
    {
        if (!IsLive(request.Now) || Owner == request.Owner)
        {
            // Expired, lapsed, or our own claim read back after an ambiguous retried write.
            return ClaimResult.Acquired;
        }

        if (Fingerprint is not null && Fingerprint != request.Fingerprint)
        {
            return ClaimResult.Conflict;
        }

        return Status == RecordStatus.Completed ? ClaimResult.Duplicate : ClaimResult.InProgress(LeaseExpiresAt);
    }
}
