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
        await _store.CompleteAsync(new CompleteRequest("done", "o2", now, now.AddHours(1)), CancellationToken.None);
        await _store.TryClaimAsync(new ClaimRequest("lapsing", "o3", "f", now, now.AddSeconds(10)), CancellationToken.None);

        var removed = _store.Sweep(now.AddSeconds(30));

        Assert.Equal(1, removed);
        Assert.Equal(2, _store.Count);
        Assert.Equal(ClaimStatus.Duplicate, (await _store.TryClaimAsync(new ClaimRequest("done", "o4", "f", now.AddSeconds(30), now.AddMinutes(2)), CancellationToken.None)).Status);
    }
}
