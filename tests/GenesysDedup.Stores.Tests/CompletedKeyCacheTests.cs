using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using GenesysDedup.Testing;
using StackExchange.Redis;

namespace GenesysDedup.Stores.Tests;

/// <summary>
/// The completed-key cache in front of the memory store: it must pass the whole store contract, and answer only what
/// the store would have answered — duplicate or conflict for a key this process completed, until its expiry.
/// </summary>
public sealed class CompletedKeyCacheTests : DedupStoreContractTests
{
    private const string Fingerprint = "sha256:aaaa";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private readonly MemoryDedupStore _memory = new();
    private readonly CallCountingStore _counted;
    private readonly CompletedKeyCache _cache;

    public CompletedKeyCacheTests()
    {
        _counted = new CallCountingStore(_memory);
        _cache = new CompletedKeyCache(_counted, maxKeys: 100);
    }

    protected override IDedupStore Store => _cache;

    [Fact]
    public async Task TryClaim_KeyCompletedHere_IsDuplicateWithoutAStoreCall()
    {
        var key = NewKey();
        await ProcessAsync(_cache, key, "o1");
        var claimsBefore = _counted.Claims;

        var again = await ClaimAsync(_cache, key, "o2");

        Assert.Equal(ClaimStatus.Duplicate, again.Status);
        Assert.Equal(claimsBefore, _counted.Claims);
    }

    [Fact]
    public async Task TryClaim_KeyCompletedHere_OtherFingerprint_IsConflictWithoutAStoreCall()
    {
        var key = NewKey();
        await ProcessAsync(_cache, key, "o1");
        var claimsBefore = _counted.Claims;

        var other = await ClaimAsync(_cache, key, "o2", fingerprint: "sha256:bbbb");

        Assert.Equal(ClaimStatus.Conflict, other.Status);
        Assert.Equal(claimsBefore, _counted.Claims);
    }

    [Fact]
    public async Task TryClaim_InProgressHere_AsksTheStoreEveryTime()
    {
        var key = NewKey();
        await ClaimAsync(_cache, key, "o1");

        var second = await ClaimAsync(_cache, key, "o2");
        var third = await ClaimAsync(_cache, key, "o3");

        Assert.Equal(ClaimStatus.InProgress, second.Status);
        Assert.Equal(ClaimStatus.InProgress, third.Status);
        Assert.Equal(3, _counted.Claims);
        Assert.Equal(0, _cache.Count);
    }

    [Fact]
    public async Task TryClaim_PastRetention_AsksTheStoreAndForgetsTheKey()
    {
        var key = NewKey();
        await ProcessAsync(_cache, key, "o1");
        Clock.Advance(Retention);
        var claimsBefore = _counted.Claims;

        var after = await ClaimAsync(_cache, key, "o2");

        Assert.Equal(ClaimStatus.Acquired, after.Status);
        Assert.Equal(claimsBefore + 1, _counted.Claims);
    }

    [Fact]
    public async Task Complete_RefusedByTheStore_IsNotCached()
    {
        var key = NewKey();
        await ClaimAsync(_cache, key, "stale", lease: TimeSpan.FromSeconds(10));
        Clock.Advance(TimeSpan.FromSeconds(11));
        await ClaimAsync(_cache, key, "new-owner");

        Assert.False(await CompleteAsync(_cache, key, "stale"));

        Assert.Equal(0, _cache.Count);
        Assert.Equal(ClaimStatus.InProgress, (await ClaimAsync(_cache, key, "third")).Status);
    }

    [Fact]
    public async Task Complete_OfAClaimTheStoreSwept_IsCachedWithTheRequestsFingerprint()
    {
        var key = NewKey();
        await ClaimAsync(_cache, key, "slow", lease: TimeSpan.FromSeconds(10));
        Clock.Advance(TimeSpan.FromSeconds(11));
        _memory.Sweep(Clock.GetUtcNow());

        Assert.True(await CompleteAsync(_cache, key, "slow"));
        var claimsBefore = _counted.Claims;

        Assert.Equal(1, _cache.Count);
        Assert.Equal(ClaimStatus.Conflict, (await ClaimAsync(_cache, key, "o2", fingerprint: "sha256:bbbb")).Status);
        Assert.Equal(claimsBefore, _counted.Claims);
    }

    [Fact]
    public async Task Complete_StoreDown_IsNotCached()
    {
        var faulty = new FaultyStore(new MemoryDedupStore());
        var cache = new CompletedKeyCache(faulty, maxKeys: 10);
        var key = NewKey();
        await ClaimAsync(cache, key, "o1");
        faulty.CompletionsDown = true;

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => CompleteAsync(cache, key, "o1"));

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task Release_OfACompletedKeyByItsOwner_StopsAnsweringForIt()
    {
        var key = NewKey();
        await ProcessAsync(_cache, key, "o1");

        Assert.True(await _cache.ReleaseAsync(key, "o1", CancellationToken.None));

        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(_cache, key, "o2")).Status);
    }

    [Fact]
    public async Task Cache_ManyCompletions_StaysWithinItsBound()
    {
        var cache = new CompletedKeyCache(new MemoryDedupStore(), maxKeys: 10);

        for (var i = 0; i < 50; i++)
        {
            await ProcessAsync(cache, $"bounded:{i}", $"o{i}");
        }

        Assert.InRange(cache.Count, 1, 10);
    }

    [Fact]
    public async Task Cache_Full_DropsTheOldestCompletionsAndKeepsTheNewest()
    {
        var counted = new CallCountingStore(new MemoryDedupStore());
        var cache = new CompletedKeyCache(counted, maxKeys: 10);
        for (var i = 0; i < 25; i++)
        {
            await ProcessAsync(cache, $"order:{i}", $"o{i}");
        }

        var claimsBefore = counted.Claims;
        for (var i = 20; i < 25; i++)
        {
            Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(cache, $"order:{i}", $"again{i}")).Status);
        }

        Assert.Equal(claimsBefore, counted.Claims); // the five newest answered here
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(cache, "order:0", "again0")).Status);
        Assert.Equal(claimsBefore + 1, counted.Claims); // the oldest went to the store
    }

    [Fact]
    public async Task Cache_KeysExpiringAndProcessedAgain_StaysWithinItsBound()
    {
        var cache = new CompletedKeyCache(new MemoryDedupStore(), maxKeys: 10);
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < 5; i++)
            {
                await ProcessAsync(cache, $"recurring:{i}", $"o{round}-{i}");
            }

            Clock.Advance(Retention + TimeSpan.FromSeconds(1));
        }

        Assert.InRange(cache.Count, 1, 10);
        Assert.InRange(cache.QueuedCount, 1, 20);
    }

    [Fact]
    public async Task Cache_EvictedKey_IsStillDuplicateFromTheStore()
    {
        var cache = new CompletedKeyCache(_memory, maxKeys: 2);
        await ProcessAsync(cache, "evicted:0", "o0");
        for (var i = 1; i < 10; i++)
        {
            await ProcessAsync(cache, $"evicted:{i}", $"o{i}");
        }

        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(cache, "evicted:0", "again")).Status);
    }

    private async Task ProcessAsync(IDedupStore store, string key, string owner)
    {
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(store, key, owner)).Status);
        Assert.True(await CompleteAsync(store, key, owner));
    }

    private Task<ClaimResult> ClaimAsync(IDedupStore store, string key, string owner, string fingerprint = Fingerprint, TimeSpan? lease = null)
    {
        var now = Clock.GetUtcNow();
        return store.TryClaimAsync(new ClaimRequest(key, owner, fingerprint, now, now + (lease ?? Lease)), CancellationToken.None).AsTask();
    }

    private Task<bool> CompleteAsync(IDedupStore store, string key, string owner)
    {
        var now = Clock.GetUtcNow();
        return store.CompleteAsync(new CompleteRequest(key, owner, Fingerprint, now, now + Retention), CancellationToken.None).AsTask();
    }

    private sealed class CallCountingStore(IDedupStore inner) : IDedupStore
    {
        private int _claims;

        public int Claims => _claims;

        public ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _claims);
            return inner.TryClaimAsync(request, cancellationToken);
        }

        public ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken) => inner.CompleteAsync(request, cancellationToken);

        public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken) => inner.ReleaseAsync(key, owner, cancellationToken);

        public ValueTask CheckReadyAsync(CancellationToken cancellationToken) => inner.CheckReadyAsync(cancellationToken);
    }
}

/// <summary>The completed-key cache in front of the Redis store passes the same contract against a real server.</summary>
public sealed class CompletedKeyCacheRedisStoreTests : DedupStoreContractTests, IAsyncLifetime
{
    private ConnectionMultiplexer? _connection;
    private CompletedKeyCache? _store;

    protected override IDedupStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    public async Task InitializeAsync()
    {
        var server = await RedisServer.GetSharedAsync();
        _connection = await RedisStoreTests.ConnectAsync(server);
        _store = new CompletedKeyCache(RedisStoreTests.NewStore(_connection, "genesys-dedup-cache-test:"), maxKeys: 1000);
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}
