using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;

namespace GenesysDedup.Stores.Tests;

public sealed class MemoryStoreTests : DedupStoreContractTests
{
    private readonly MemoryDedupStore _store = new();

    protected override IDedupStore Store => _store;

    [Fact]
    public async Task Sweep_RemovesOnlyRecordsThatNoLongerBlock()
    {
        var now = Clock.GetUtcNow();
        await _store.TryClaimAsync(new ClaimRequest("live", "o1", "f", now, now.AddMinutes(1)), CancellationToken.None);
        await _store.TryClaimAsync(new ClaimRequest("done", "o2", "f", now, now.AddMinutes(1)), CancellationToken.None);
        await _store.CompleteAsync(new CompleteRequest("done", "o2", "f", now, now.AddHours(1)), CancellationToken.None);
        await _store.TryClaimAsync(new ClaimRequest("lapsing", "o3", "f", now, now.AddSeconds(10)), CancellationToken.None);

        var removed = _store.Sweep(now.AddSeconds(30));

        Assert.Equal(1, removed);
        Assert.Equal(2, _store.Count);
        Assert.Equal(ClaimStatus.Duplicate, (await _store.TryClaimAsync(new ClaimRequest("done", "o4", "f", now.AddSeconds(30), now.AddMinutes(2)), CancellationToken.None)).Status);
    }
}

/// <summary>The bound on the memory store: a flood of distinct keys never grows it past MaxEntries.</summary>
public sealed class BoundedMemoryStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static ClaimRequest Claim(string key, DateTimeOffset now) => new(key, "owner-" + key, "f", now, now.AddMinutes(1));

    [Fact]
    public async Task TryClaim_FloodOfDistinctKeys_StaysWithinTheBoundAndCountsEvictions()
    {
        var evicted = 0;
        var store = new MemoryDedupStore(maxEntries: 100, evicted: n => evicted += n);

        for (var i = 0; i < 1_000; i++)
        {
            var claim = Claim($"k{i}", Now.AddMilliseconds(i));
            Assert.Equal(ClaimStatus.Acquired, (await store.TryClaimAsync(claim, CancellationToken.None)).Status);
            Assert.True(await store.CompleteAsync(new CompleteRequest(claim.Key, claim.Owner, claim.Fingerprint, claim.Now, claim.Now.AddHours(1)), CancellationToken.None));
            Assert.InRange(store.Count, 1, 100);
        }

        Assert.Equal(900, evicted);
        // The newest keys are still duplicates; the oldest were evicted (and counted) to make room.
        Assert.Equal(ClaimStatus.Duplicate, (await store.TryClaimAsync(Claim("k999", Now.AddSeconds(2)) with { Owner = "other" }, CancellationToken.None)).Status);
        Assert.Equal(ClaimStatus.Acquired, (await store.TryClaimAsync(Claim("k0", Now.AddSeconds(2)) with { Owner = "other" }, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task TryClaim_AtTheBound_SweepsExpiredRecordsBeforeEvictingLiveOnes()
    {
        var evicted = 0;
        var store = new MemoryDedupStore(maxEntries: 3, evicted: n => evicted += n);
        foreach (var key in new[] { "a", "b", "c" })
        {
            var claim = Claim(key, Now);
            await store.TryClaimAsync(claim, CancellationToken.None);
            await store.CompleteAsync(new CompleteRequest(key, claim.Owner, claim.Fingerprint, Now, Now.AddMinutes(key == "b" ? 1 : 60)), CancellationToken.None);
        }

        var result = await store.TryClaimAsync(Claim("d", Now.AddMinutes(2)), CancellationToken.None);

        Assert.Equal(ClaimStatus.Acquired, result.Status);
        Assert.Equal(0, evicted);
        Assert.Equal(ClaimStatus.Duplicate, (await store.TryClaimAsync(Claim("a", Now.AddMinutes(2)) with { Owner = "x" }, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task TryClaim_BoundFullOfClaimsInProgress_IsUnavailableNotAnEviction()
    {
        var store = new MemoryDedupStore(maxEntries: 2, evicted: _ => Assert.Fail("in-progress claims must never be evicted"));
        await store.TryClaimAsync(Claim("a", Now), CancellationToken.None);
        await store.TryClaimAsync(Claim("b", Now), CancellationToken.None);

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => store.TryClaimAsync(Claim("c", Now), CancellationToken.None).AsTask());
        Assert.Equal(ClaimStatus.InProgress, (await store.TryClaimAsync(Claim("a", Now) with { Owner = "x" }, CancellationToken.None)).Status);
    }
}
