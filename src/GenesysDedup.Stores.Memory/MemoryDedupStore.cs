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
/// Records are held so that the garbage collector has nothing to trace: keys, owners and fingerprints as 128-bit
/// SHA-256 digests, in <see cref="Dictionary{TKey,TValue}"/>s whose entries are structs in one array per shard.
/// Held as strings in a <c>ConcurrentDictionary</c> (five objects, ~750 bytes per key), every key kept was traced
/// and copied by the next collections, which under load paused the host ~5–15 ms each: its p99
/// (docs/performance.md). A false match of two different keys needs a SHA-256 collision in 128 bits: odds about
/// n²/2¹²⁹, 10⁻²⁷ for a million keys.
/// </remarks>
public sealed class MemoryDedupStore : IInProcessDedupStore
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

    public ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        var key = DigestOf(request.Key);
        var claim = new Held(completed: false, DigestOf(request.Owner), DigestOf(request.Fingerprint), request.LeaseExpiresAt, request.LeaseExpiresAt);
        var shard = ShardOf(key);
        while (true)
        {
            lock (shard.Lock)
            {
                if (shard.Records.TryGetValue(key, out var existing))
                {
                    var found = StoredRecord.Judge(
                        live: existing.IsLive(request.Now),
                        sameOwner: existing.Owner == claim.Owner,
                        fingerprintDiffers: existing.Fingerprint != claim.Fingerprint,
                        existing.Completed,
                        existing.LeaseExpiresAt);
                    if (found.Status == ClaimStatus.Acquired)
                    {
                        shard.Records[key] = claim;
                    }

                    return ValueTask.FromResult(found);
                }

                if (Count < _maxEntries)
                {
                    shard.Records.Add(key, claim);
                    Interlocked.Increment(ref _count);
                    return ValueTask.FromResult(ClaimResult.Acquired);
                }
            }

            MakeRoom(request.Now); // outside the shard's lock: it takes each shard's lock in turn
        }
    }

    public ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken)
    {
        var key = DigestOf(request.Key);
        var owner = DigestOf(request.Owner);
        var shard = ShardOf(key);
        lock (shard.Lock)
        {
            if (!shard.Records.TryGetValue(key, out var existing) || existing.Owner != owner)
            {
                return ValueTask.FromResult(false);
            }

            shard.Records[key] = existing with { Completed = true, ExpiresAtTicks = request.ExpiresAt.UtcTicks };
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        var keyDigest = DigestOf(key);
        var ownerDigest = DigestOf(owner);
        var shard = ShardOf(keyDigest);
        lock (shard.Lock)
        {
            if (!shard.Records.TryGetValue(keyDigest, out var existing) || existing.Owner != ownerDigest)
            {
                return ValueTask.FromResult(false);
            }

            Remove(shard, keyDigest);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask CheckReadyAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

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

    /// <summary>Removes <paramref name="key"/> from <paramref name="shard"/>, whose lock the caller holds.</summary>
    private void Remove(Shard shard, Digest key)
    {
        if (shard.Records.Remove(key))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>The first 128 bits of the SHA-256 of the string's UTF-16 code units.</summary>
    private static Digest DigestOf(string value)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(MemoryMarshal.AsBytes(value.AsSpan()), hash);
        return MemoryMarshal.Read<Digest>(hash);
    }

    /// <summary>128 bits of a SHA-256; two <see cref="ulong"/>s rather than a <see cref="UInt128"/>, whose 16-byte
    /// alignment would pad every entry.</summary>
    private readonly record struct Digest(ulong High, ulong Low);

    private sealed class Shard
    {
        public readonly Lock Lock = new();
        public readonly Dictionary<Digest, Held> Records = [];
    }

    /// <summary>A record as held: fixed size, no references; times as UTC ticks (8 bytes, not 16).</summary>
    private readonly record struct Held(bool Completed, Digest Owner, Digest Fingerprint, long LeaseExpiresAtTicks, long ExpiresAtTicks)
    {
        public Held(bool completed, Digest owner, Digest fingerprint, DateTimeOffset leaseExpiresAt, DateTimeOffset expiresAt)
            : this(completed, owner, fingerprint, leaseExpiresAt.UtcTicks, expiresAt.UtcTicks)
        {
        }

        public DateTimeOffset LeaseExpiresAt => new(LeaseExpiresAtTicks, TimeSpan.Zero);

        public DateTimeOffset ExpiresAt => new(ExpiresAtTicks, TimeSpan.Zero);

        public bool IsLive(DateTimeOffset now) => StoredRecord.IsLive(Completed, LeaseExpiresAt, ExpiresAt, now);
    }
}
