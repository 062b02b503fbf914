using System.Collections.Concurrent;
using GenesysDedup.Domain;

namespace GenesysDedup.Application;

/// <summary>
/// An <see cref="IDedupStore"/> decorator that remembers, in process, the keys this process completed, and answers a
/// later claim of one of them (<c>duplicate</c>, or <c>conflict</c> for another fingerprint) without a store call.
/// <para>
/// Safe because a completed record cannot become claimable before its expiry: nothing un-completes it (release is
/// owner-checked and only ever follows a failed handler, before completion), and its expiry is the one this process
/// wrote. A completion that found its claim gone (expired or swept while the handler ran) was written all the same,
/// so it is remembered too; one refused because another owner holds the key is not. Every answer is judged by
/// <see cref="StoredRecord.Judge"/> at the request's time, exactly as a store judges the record it reads, so past its
/// expiry an entry answers nothing and the claim goes to the store. In-progress claims are never cached: only a
/// successful <see cref="CompleteAsync"/> adds an entry.
/// </para>
/// <para>
/// Bounded: at most <c>maxKeys</c> completed keys (the oldest completions are dropped first: with one retention they
/// are also the first to expire, and the least likely to be re-delivered). What it cannot know: a record deleted
/// behind the store's back (a Redis <c>FLUSHALL</c> or eviction under <c>maxmemory</c>) still answers
/// <c>duplicate</c> here until its expiry — the event was processed, so that answer is still true.
/// </para>
/// </summary>
public sealed class CompletedKeyCache : IDedupStore
{
    private readonly IDedupStore _inner;
    private readonly int _maxKeys;
    private readonly ConcurrentDictionary<string, StoredRecord> _completed = new();

    /// <summary>Every entry added, oldest first; an item whose key was forgotten or completed again since is stale and skipped.</summary>
    private readonly ConcurrentQueue<KeyValuePair<string, StoredRecord>> _completionOrder = new();
    private int _trimming;

    // ConcurrentDictionary.Count takes every lock of the table: the bounds are kept with counters instead.
    private int _completedCount;
    private int _queuedCount;

    public CompletedKeyCache(IDedupStore inner, int maxKeys)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxKeys);
        _inner = inner;
        _maxKeys = maxKeys;
    }

    /// <summary>The store behind the cache.</summary>
    public IDedupStore Inner => _inner;

    /// <summary>Completed keys held now.</summary>
    public int Count => Volatile.Read(ref _completedCount);

    /// <summary>Items in the completion order, stale ones included: bounded by twice the keys.</summary>
    internal int QueuedCount => Volatile.Read(ref _queuedCount);

    public ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        var key = request.Key;
        if (_completed.TryGetValue(key, out var record))
        {
            var found = record.Judge(request);
            if (found.Status is ClaimStatus.Duplicate or ClaimStatus.Conflict)
            {
                return ValueTask.FromResult(found);
            }

            if (!record.IsLive(request.Now))
            {
                Forget(key, record);
            }
        }

        return _inner.TryClaimAsync(request, cancellationToken);
    }

    public async ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken)
    {
        var completed = await _inner.CompleteAsync(request, cancellationToken).ConfigureAwait(false);
        if (completed)
        {
            Remember(request.Key, new StoredRecord(RecordStatus.Completed, request.Owner, request.Fingerprint, request.Now, request.ExpiresAt));
        }

        return completed;
    }

    public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        if (_completed.TryGetValue(key, out var record) && record.Owner == owner)
        {
            // The engine never releases a completed key; a caller that does reopens it, so stop answering for it.
            Forget(key, record);
        }

        return _inner.ReleaseAsync(key, owner, cancellationToken);
    }

    public ValueTask CheckReadyAsync(CancellationToken cancellationToken) => _inner.CheckReadyAsync(cancellationToken);

    private void Remember(string key, StoredRecord record)
    {
        if (Volatile.Read(ref _completedCount) >= _maxKeys || Volatile.Read(ref _queuedCount) >= 2 * _maxKeys)
        {
            Trim();
            if (Volatile.Read(ref _completedCount) >= _maxKeys)
            {
                return; // another thread is trimming: skip this one rather than pass the bound
            }
        }

        while (true)
        {
            if (_completed.TryAdd(key, record))
            {
                Interlocked.Increment(ref _completedCount);
                break;
            }

            if (_completed.TryGetValue(key, out var existing) && _completed.TryUpdate(key, record, existing))
            {
                break;
            }
        }

        _completionOrder.Enqueue(KeyValuePair.Create(key, record));
        Interlocked.Increment(ref _queuedCount);
    }

    private void Forget(string key, StoredRecord record)
    {
        if (_completed.TryRemove(KeyValuePair.Create(key, record)))
        {
            Interlocked.Decrement(ref _completedCount);
        }
    }

    /// <summary>Drops the oldest entries down to 90 % of the bound (stale queue items go with them); one thread at a time.</summary>
    private void Trim()
    {
        if (Interlocked.Exchange(ref _trimming, 1) == 1)
        {
            return;
        }

        try
        {
            var target = _maxKeys - Math.Max(1, _maxKeys / 10);
            while (Volatile.Read(ref _queuedCount) > target && _completionOrder.TryDequeue(out var oldest))
            {
                Interlocked.Decrement(ref _queuedCount);
                Forget(oldest.Key, oldest.Value);
            }
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }
}
