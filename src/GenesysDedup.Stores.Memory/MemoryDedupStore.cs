using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using GenesysDedup.Domain;

namespace GenesysDedup.Stores.Memory;

/// <summary>
/// In-process store: one instance, not durable (a restart forgets every key). Each operation reads and writes a
/// key's record under its shard's lock, so concurrent claims of a key have exactly one winner. Expired records are
/// judged from their timestamps and swept periodically; the number of records is bounded by
/// <see cref="MemoryStoreOptions.MaxEntries"/>.
/// </summary>
/// <remarks>
/// A record is one struct entry with no references (<see cref="Held"/>), so the garbage collector has nothing per key
/// to trace or copy however many keys the retention keeps (docs/performance.md).
/// </remarks>
public sealed class MemoryDedupStore : IDedupStore
{
    // Enough shards that concurrent requests rarely wait on one lock.
    private const int ShardCount = 64;

    private readonly Shard[] _shards = Enumerable.Range(0, ShardCount).Select(_ => new Shard()).ToArray();
    private readonly Lock _makingRoom = new();
    private readonly int _maxEntries;
    private readonly Action<int>? _evicted;

    // Kept apart from the shards so the bound is checked without taking every lock.
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

    /// <inheritdoc/>
    public ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        var key = Digest.Of(request.Key);
        var claim = new Held(Held.InProgress, Digest.Of(request.Owner), Digest.Of(request.Fingerprint), request.LeaseExpiresAt.UtcTicks, request.LeaseExpiresAt.UtcTicks, TraceContext.Parse(request.TraceParent));
        var shard = ShardOf(key);
        while (true)
        {
            lock (shard.Lock)
            {
                if (shard.Records.TryGetValue(key, out var existing))
                {
                    var found = StoredRecord.Judge(
                        existing.IsLive(request.JudgedAt), existing.Owner == claim.Owner, existing.Fingerprint != claim.Fingerprint, existing.Completed, existing.LeaseExpiresAt);
                    if (found.Status == ClaimStatus.Acquired)
                    {
                        shard.Records[key] = claim;
                        return ValueTask.FromResult(found);
                    }

                    return ValueTask.FromResult(found with { TraceParent = existing.Trace.Format() });
                }

                if (TryAdd(shard, key, claim))
                {
                    return ValueTask.FromResult(ClaimResult.Acquired);
                }
            }

            MakeRoom(request.Now); // outside the shard's lock: it takes each shard's lock in turn
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken)
    {
        var key = Digest.Of(request.Key);
        var completed = new Held(request.Now.UtcTicks, Digest.Of(request.Owner), Digest.Of(request.Fingerprint), request.Now.UtcTicks, request.ExpiresAt.UtcTicks, TraceContext.Parse(request.TraceParent));
        var shard = ShardOf(key);
        while (true)
        {
            lock (shard.Lock)
            {
                if (shard.Records.TryGetValue(key, out var existing))
                {
                    if (existing.Owner != completed.Owner && existing.IsLive(request.Now))
                    {
                        return ValueTask.FromResult(false); // another owner holds the key: its record stands
                    }

                    shard.Records[key] = completed with { LeaseTicks = existing.LeaseTicks };
                    return ValueTask.FromResult(true);
                }

                // Swept (or never seen) while the handler ran: nobody holds the key, so the completion is recorded.
                if (TryAdd(shard, key, completed))
                {
                    return ValueTask.FromResult(true);
                }
            }

            MakeRoom(request.Now);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        var keyDigest = Digest.Of(key);
        var shard = ShardOf(keyDigest);
        lock (shard.Lock)
        {
            if (!shard.Records.TryGetValue(keyDigest, out var existing) || existing.Owner != Digest.Of(owner))
            {
                return ValueTask.FromResult(false);
            }

            Remove(shard, keyDigest);
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc/>
    public ValueTask CheckReadyAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc/>
    /// <remarks>Only digests are held here, so the record has no fingerprint; processed-at is exact (UTC ticks).</remarks>
    public ValueTask<DedupRecord?> FindAsync(string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var keyDigest = Digest.Of(key);
        var shard = ShardOf(keyDigest);
        lock (shard.Lock)
        {
            return ValueTask.FromResult(shard.Records.TryGetValue(keyDigest, out var held) ? AsRecord(held, now) : null);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> RemoveAsync(string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var keyDigest = Digest.Of(key);
        var shard = ShardOf(keyDigest);
        lock (shard.Lock)
        {
            if (!shard.Records.TryGetValue(keyDigest, out var held))
            {
                return ValueTask.FromResult(false);
            }

            Remove(shard, keyDigest);
            return ValueTask.FromResult(held.IsLive(now));
        }
    }

    private static DedupRecord? AsRecord(Held held, DateTimeOffset now) => DedupRecord.From(
        new StoredRecord(held.Completed ? RecordStatus.Completed : RecordStatus.InProgress, string.Empty, null, held.LeaseExpiresAt, held.ExpiresAt)
        {
            ProcessedAt = held.Completed ? new DateTimeOffset(held.ProcessedTicks, TimeSpan.Zero) : null,
        },
        now);

    /// <summary>Removes every record that no longer blocks a claim at <paramref name="now"/>; returns how many.</summary>
    public int Sweep(DateTimeOffset now)
    {
        var removed = 0;
        foreach (var shard in _shards)
        {
            lock (shard.Lock)
            {
                // Removing while enumerating is allowed by Dictionary and leaves the enumeration intact.
                foreach (var (key, held) in shard.Records)
                {
                    if (!held.IsLive(now))
                    {
                        Remove(shard, key);
                        removed++;
                    }
                }
            }
        }

        return removed;
    }

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

            var victims = 0;
            foreach (var (key, expiresAt) in NearestExpiries(Math.Max(1, _maxEntries / 100)))
            {
                var shard = ShardOf(key);
                lock (shard.Lock)
                {
                    // Only if it is still the same completed record: it may have been replaced since the scan.
                    if (shard.Records.TryGetValue(key, out var held) && held.Completed && held.ExpiresAt == expiresAt)
                    {
                        Remove(shard, key);
                        victims++;
                    }
                }
            }

            if (victims == 0)
            {
                throw new DedupStoreUnavailableException($"memory store is full: {Count} claims in progress (Dedup:Memory:MaxEntries)");
            }

            _evicted?.Invoke(victims);
        }
    }

    /// <summary>The <paramref name="count"/> completed records that expire first, in one pass over the shards.</summary>
    private List<(Digest Key, DateTimeOffset ExpiresAt)> NearestExpiries(int count)
    {
        // A max-heap of the earliest expiries seen so far: its root is the first to give way to an earlier one.
        var earliest = new PriorityQueue<(Digest, DateTimeOffset), DateTimeOffset>(count, Comparer<DateTimeOffset>.Create((a, b) => b.CompareTo(a)));
        foreach (var shard in _shards)
        {
            lock (shard.Lock)
            {
                foreach (var (key, held) in shard.Records)
                {
                    if (!held.Completed)
                    {
                        continue;
                    }

                    if (earliest.Count < count)
                    {
                        earliest.Enqueue((key, held.ExpiresAt), held.ExpiresAt);
                    }
                    else if (earliest.TryPeek(out _, out var latest) && held.ExpiresAt < latest)
                    {
                        earliest.DequeueEnqueue((key, held.ExpiresAt), held.ExpiresAt);
                    }
                }
            }
        }

        return earliest.UnorderedItems.Select(item => item.Element).ToList();
    }

    private Shard ShardOf(Digest key) => _shards[(int)(key.Low % ShardCount)];

    /// <summary>Adds a record for a key <paramref name="shard"/> (whose lock the caller holds) does not have, unless the store is full.</summary>
    private bool TryAdd(Shard shard, Digest key, Held record)
    {
        if (Count >= _maxEntries)
        {
            return false;
        }

        shard.Records.Add(key, record);
        Interlocked.Increment(ref _count);
        return true;
    }

    /// <summary>Removes <paramref name="key"/> from <paramref name="shard"/>, whose lock the caller holds.</summary>
    private void Remove(Shard shard, Digest key)
    {
        if (shard.Records.Remove(key))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    private sealed class Shard
    {
        public readonly Lock Lock = new();
        public readonly Dictionary<Digest, Held> Records = [];
    }

    /// <summary>
    /// The first 128 bits of the SHA-256 of a string's UTF-16 code units: a key, owner or fingerprint held without a
    /// string (two strings share one only on a 128-bit SHA-256 collision). Two <see cref="ulong"/>s rather than a
    /// <see cref="UInt128"/>, whose 16-byte alignment would pad every entry.
    /// </summary>
    private readonly record struct Digest(ulong High, ulong Low)
    {
        public static Digest Of(string value)
        {
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(MemoryMarshal.AsBytes(value.AsSpan()), hash);
            return MemoryMarshal.Read<Digest>(hash);
        }
    }

    /// <summary>
    /// A <see cref="StoredRecord"/> as held here: owner and fingerprint as digests, times as UTC ticks, the trace context
    /// as its numbers. The completion time stands for the status too (<see cref="InProgress"/> while in progress), so the
    /// entry is no larger than with a flag: no engine clock reads tick 0 (year 1).
    /// </summary>
    private readonly record struct Held(long ProcessedTicks, Digest Owner, Digest Fingerprint, long LeaseTicks, long ExpiresTicks, TraceContext Trace)
    {
        public const long InProgress = 0;

        public bool Completed => ProcessedTicks != InProgress;

        public DateTimeOffset LeaseExpiresAt => new(LeaseTicks, TimeSpan.Zero);

        public DateTimeOffset ExpiresAt => new(ExpiresTicks, TimeSpan.Zero);

        public bool IsLive(DateTimeOffset now) => StoredRecord.IsLive(Completed, LeaseExpiresAt, ExpiresAt, now);
    }

    /// <summary>
    /// A W3C <c>traceparent</c> (<c>00-{trace id}-{span id}-{flags}</c>) held as its numbers rather than a string; all
    /// zero when there is none (a zero trace id is invalid in W3C, so it never stands for a real one).
    /// </summary>
    private readonly record struct TraceContext(ulong TraceHigh, ulong TraceLow, ulong SpanId, byte Flags)
    {
        private const int Length = 55;

        public static TraceContext Parse(string? traceParent)
        {
            if (traceParent is not { Length: Length } text || !text.StartsWith("00-", StringComparison.Ordinal)
                || !ulong.TryParse(text.AsSpan(3, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
                || !ulong.TryParse(text.AsSpan(19, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low)
                || !ulong.TryParse(text.AsSpan(36, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var span)
                || !byte.TryParse(text.AsSpan(53, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var flags))
            {
                return default;
            }

            return new TraceContext(high, low, span, flags);
        }

        public string? Format() => TraceHigh == 0 && TraceLow == 0
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"00-{TraceHigh:x16}{TraceLow:x16}-{SpanId:x16}-{Flags:x2}");
    }
}
