using System.Collections.Concurrent;
using GenesysDedup.Domain;

namespace GenesysDedup.Stores.Memory;

/// <summary>
/// In-process store: one instance, not durable (a restart forgets every key). Each operation is one
/// compare-and-swap on a <see cref="ConcurrentDictionary{TKey,TValue}"/>, so concurrent claims of a key have
/// exactly one winner. Expired records are judged from their timestamps and swept periodically; the number of
/// records is bounded by <see cref="MemoryStoreOptions.MaxEntries"/>.
/// </summary>
public sealed class MemoryDedupStore : IDedupStore
{
    private readonly ConcurrentDictionary<string, StoredRecord> _records = new(StringComparer.Ordinal);
    private readonly Lock _makingRoom = new();
    private readonly int _maxEntries;
    private readonly Action<int>? _evicted;

    // ConcurrentDictionary.Count takes every lock of the table; the bound is checked on every new key, so it is kept
    // with a counter updated on each successful add and remove instead.
    private int _count;

    /// <summary>An unbounded store (tests, embedding).</summary>
    public MemoryDedupStore()
        : this(int.MaxValue, null)
    {
    }

    /// <param name="maxEntries">The most records held.</param>
    /// <param name="evicted">Told how many completed records within their retention were evicted to make room.</param>
    public MemoryDedupStore(int maxEntries, Action<int>? evicted)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        _maxEntries = maxEntries;
        _evicted = evicted;
    }

    /// <summary>Number of records held, live or not yet swept.</summary>
    public int Count => Volatile.Read(ref _count);

    public ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        var claim = new StoredRecord(RecordStatus.InProgress, request.Owner, request.Fingerprint, request.LeaseExpiresAt, request.LeaseExpiresAt);
        while (true)
        {
            if (!_records.TryGetValue(request.Key, out var existing))
            {
                if (Count >= _maxEntries)
                {
                    MakeRoom(request.Now);
                }

                if (_records.TryAdd(request.Key, claim))
                {
                    Interlocked.Increment(ref _count);
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
            if (TryRemove(KeyValuePair.Create(key, existing)))
            {
                return ValueTask.FromResult(true);
            }
        }

        return ValueTask.FromResult(false);
    }

    public ValueTask CheckReadyAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    // Sweep first; if that frees nothing, evict the completed records nearest their expiry (1 % of the bound at a
    // time, so the scan is amortised). In-progress claims are never evicted: that would let a concurrent duplicate
    // run. When nothing can go, the claim is refused as unavailable and the sender retries.
    private void MakeRoom(DateTimeOffset now)
    {
        lock (_makingRoom)
        {
            if (Count < _maxEntries || Sweep(now) > 0)
            {
                return;
            }

            var batch = Math.Max(1, _maxEntries / 100);
            var victims = _records
                .Where(entry => entry.Value.Status == RecordStatus.Completed)
                .OrderBy(entry => entry.Value.ExpiresAt)
                .Take(batch)
                .Count(TryRemove);
            if (victims == 0)
            {
                throw new DedupStoreUnavailableException($"memory store is full: {Count} claims in progress (Dedup:Memory:MaxEntries)");
            }

            _evicted?.Invoke(victims);
        }
    }

    /// <summary>Removes every record that no longer blocks a claim at <paramref name="now"/>; returns how many.</summary>
    public int Sweep(DateTimeOffset now)
    {
        var removed = 0;
        foreach (var entry in _records)
        {
            // Compare-and-remove: a record replaced since we read it is left for the next sweep.
            if (!entry.Value.IsLive(now) && TryRemove(entry))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Compare-and-remove: only when the key still holds this very record.</summary>
    private bool TryRemove(KeyValuePair<string, StoredRecord> entry)
    {
        if (!_records.TryRemove(entry))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }
}
