using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;

namespace GenesysDedup.Stores.Tests;

/// <summary>The contract suite in process, plus what only the memory store has: the sweep and the bound on its size.</summary>
public sealed class MemoryStoreTests : DedupStoreContractTests
{
    private readonly MemoryDedupStore _store = new();

    protected override IDedupStore Store => _store;

    [Fact]
    public async Task Sweep_RemovesOnlyRecordsThatNoLongerBlock()
    {
        await ClaimAsync("live", "o1");
        await ClaimAsync("done", "o2");
        await CompleteAsync("done", "o2", TimeSpan.FromHours(1));
        await ClaimAsync("lapsing", "o3", lease: TimeSpan.FromSeconds(10));
        Clock.Advance(TimeSpan.FromSeconds(30));

        var removed = _store.Sweep(Clock.GetUtcNow());

        Assert.Equal(1, removed);
        Assert.Equal(2, _store.Count);
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync("done", "o4")).Status);
    }

    [Fact]
    public async Task TryClaim_FloodOfDistinctKeys_StaysWithinTheBoundAndCountsEvictions()
    {
        var evicted = 0;
        var store = new MemoryDedupStore(maxEntries: 100, evicted: n => evicted += n);

        for (var i = 0; i < 1_000; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync($"k{i}", "owner", store: store)).Status);
            Assert.True(await CompleteAsync($"k{i}", "owner", TimeSpan.FromHours(1), store: store));
            Assert.InRange(store.Count, 1, 100);
        }

        Assert.Equal(900, evicted);
        // The newest keys are still duplicates; the oldest were evicted (and counted) to make room.
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync("k999", "other", store: store)).Status);
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync("k0", "other", store: store)).Status);
    }

    [Fact]
    public async Task TryClaim_AtTheBound_SweepsExpiredRecordsBeforeEvictingLiveOnes()
    {
        var evicted = 0;
        var store = new MemoryDedupStore(maxEntries: 3, evicted: n => evicted += n);
        foreach (var key in new[] { "a", "b", "c" })
        {
            await ClaimAsync(key, "owner", store: store);
            await CompleteAsync(key, "owner", TimeSpan.FromMinutes(key == "b" ? 1 : 60), store: store);
        }

        Clock.Advance(TimeSpan.FromMinutes(2));
        var result = await ClaimAsync("d", "owner", store: store);

        Assert.Equal(ClaimStatus.Acquired, result.Status);
        Assert.Equal(0, evicted);
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync("a", "other", store: store)).Status);
    }

    [Fact]
    public async Task TryClaim_BoundFullOfClaimsInProgress_IsUnavailableNotAnEviction()
    {
        var store = new MemoryDedupStore(maxEntries: 2, evicted: _ => Assert.Fail("in-progress claims must never be evicted"));
        await ClaimAsync("a", "owner", store: store);
        await ClaimAsync("b", "owner", store: store);

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync("c", "owner", store: store));
        Assert.Equal(ClaimStatus.InProgress, (await ClaimAsync("a", "other", store: store)).Status);
    }
}
