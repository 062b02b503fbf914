namespace GenesysDedup.Domain;

/// <summary>Whether a record's event is being processed or was processed.</summary>
public enum DedupRecordStatus
{
    /// <summary>A delivery holds the key under a lease.</summary>
    InProgress,

    /// <summary>The event was processed; the key answers duplicate until the record expires.</summary>
    Completed,
}

/// <summary>
/// The record that holds one key, as an operator sees it (docs/behaviour.md#look-up-and-remove): no owner token, and
/// only what the store keeps (a value it does not keep is null).
/// </summary>
/// <param name="Status">In progress or completed.</param>
/// <param name="Fingerprint">The event's fingerprint, when the store keeps its text.</param>
/// <param name="LeaseExpiresAt">While in progress: when the holder's lease lapses.</param>
/// <param name="ProcessedAt">Once completed: when (the engine's clock at completion, to the store's precision); null for a record written before the store kept it.</param>
/// <param name="ExpiresAt">When the record stops holding the key (lease end, or retention end once completed).</param>
public sealed record DedupRecord(DedupRecordStatus Status, string? Fingerprint, DateTimeOffset? LeaseExpiresAt, DateTimeOffset? ProcessedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// What <paramref name="record"/> shows an operator at <paramref name="now"/>; null when it no longer holds the key
    /// (judged by <see cref="StoredRecord.IsLive(DateTimeOffset)"/>, like a claim).
    /// </summary>
    public static DedupRecord? From(StoredRecord record, DateTimeOffset now)
    {
        if (!record.IsLive(now))
        {
            return null;
        }

        var completed = record.Status == RecordStatus.Completed;
        return new DedupRecord(
            completed ? DedupRecordStatus.Completed : DedupRecordStatus.InProgress,
            string.IsNullOrEmpty(record.Fingerprint) ? null : record.Fingerprint,
            completed ? null : record.LeaseExpiresAt,
            completed ? record.ProcessedAt : null,
            record.ExpiresAt);
    }
}
