using System.Collections.Concurrent;
using GenesysDedup.Domain;

namespace GenesysDedup.Stores.Memory;

/// <summary>
/// In-process store: one instance, not durable (a restart forgets every key). Each operation is one
/// compare-and-swap on a <see cref="ConcurrentDictionary{TKey,TValue}"/>, so concurrent claims of a key have
/// exactly one winner. Expired records are judged from their timestamps and swept periodically.
/// </summary>
public sealed class MemoryDedupStore : IDedupStore
{
    private readonly ConcurrentDictionary<string, StoredRecord> _records = new(StringComparer.Ordinal);

    /// <summary>Number of records held, live or not yet swept.</summary>
    public int Count => _records.Count;

    public ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        var claim = new StoredRecord(RecordStatus.InProgress, request.Owner, request.Fingerprint, request.LeaseExpiresAt, request.LeaseExpiresAt);
        while (true)
        {
            if (!_records.TryGetValue(request.Key, out var existing))
            {
                if (_records.TryAdd(request.Key, claim))
                {
                    return ValueTask.FromResult(ClaimResult.Acquired);
                }

                continue; // lost a race to insert: judge the winner's record
            }

            var found = existing.Judge(request);
            if (found.Status != ClaimStatus.Acquired)
            {
                return ValueTask.FromResult(found);
            }

            if (_records.TryUpdate(request.Key, claim, existing))
            {
                return ValueTask.FromResult(ClaimResult.Acquired);
            }
        }
    }

    public ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken)
    {
        while (_records.TryGetValue(request.Key, out var existing) && existing.Owner == request.Owner)
        {
            var completed = existing with { Status = RecordStatus.Completed, ExpiresAt = request.ExpiresAt };
            if (_records.TryUpdate(request.Key, completed, existing))
            {
                return ValueTask.FromResult(true);
            }
        }

        return ValueTask.FromResult(false);
    }

    public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        while (_records.TryGetValue(key, out var existing) && existing.Owner == owner)
        {
            if (_records.TryRemove(KeyValuePair.Create(key, existing)))
            {
                return ValueTask.FromResult(true);
            }
        }

        return ValueTask.FromResult(false);
    }

    public ValueTask CheckReadyAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Removes every record that no longer blocks a claim at <paramref name="now"/>; returns how many.</summary>
    public int Sweep(DateTimeOffset now)
    {
        var removed = 0;
        foreach (var entry in _records)
        {
            // Compare-and-remove: a record replaced since we read it is left for the next sweep.
            if (!entry.Value.IsLive(now) && _records.TryRemove(entry))
            {
                removed++;
            }
        }

        return removed;
    }
}
