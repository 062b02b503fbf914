using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

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

/// <summary>The memory store holds a record as digests and ticks, and judges every claim as <see cref="StoredRecord"/> does.</summary>
public sealed class MemoryStoreJudgementTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 14, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string, string, int, int> Records()
    {
        var data = new TheoryData<string, string, string, int, int>();
        foreach (var status in new[] { RecordStatus.InProgress, RecordStatus.Completed })
        {
            foreach (var owner in new[] { "owner-holder", "owner-claimer" })
            {
                foreach (var fingerprint in new[] { "sha256:aaaa", "sha256:bbbb" })
                {
                    // Lease and expiry relative to now, in seconds: past, at, and ahead (a claim's expiry is its lease).
                    var times = status == RecordStatus.Completed
                        ? new[] { (-30, 3600), (0, 3600), (30, 3600), (30, 0), (-30, -1), (30, 86400) }
                        : [(-30, -30), (0, 0), (30, 30)];
                    foreach (var (lease, expiry) in times)
                    {
                        data.Add(status, owner, fingerprint, lease, expiry);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Records))]
    public async Task TryClaimAndSweep_AnyRecord_JudgeAsStoredRecordDoes(string status, string owner, string fingerprint, int leaseSeconds, int expirySeconds)
    {
        var stored = new StoredRecord(status, owner, fingerprint, Now.AddSeconds(leaseSeconds), Now.AddSeconds(expirySeconds));
        var claim = new ClaimRequest("key", "owner-claimer", "sha256:aaaa", Now, Now.AddMinutes(1));

        var found = await (await HoldingAsync(stored)).TryClaimAsync(claim, CancellationToken.None);
        var swept = (await HoldingAsync(stored)).Sweep(Now);

        Assert.Equal(stored.Judge(claim), found);
        Assert.Equal(stored.IsLive(Now) ? 0 : 1, swept);
    }

    [Fact]
    public async Task TryClaim_KeysThatDifferInOneCharacter_AreTwoKeys()
    {
        var store = new MemoryDedupStore();
        await store.TryClaimAsync(new ClaimRequest("sha256:aaaa", "o1", "f", Now, Now.AddMinutes(1)), CancellationToken.None);

        var other = await store.TryClaimAsync(new ClaimRequest("sha256:aaab", "o2", "f", Now, Now.AddMinutes(1)), CancellationToken.None);
        var same = await store.TryClaimAsync(new ClaimRequest("sha256:aaaa", "o2", "f", Now, Now.AddMinutes(1)), CancellationToken.None);

        Assert.Equal(ClaimStatus.Acquired, other.Status);
        Assert.Equal(ClaimStatus.InProgress, same.Status);
    }

    /// <summary>A store holding <paramref name="record"/>, written through the port an hour before <see cref="Now"/>.</summary>
    private static async Task<MemoryDedupStore> HoldingAsync(StoredRecord record)
    {
        var store = new MemoryDedupStore();
        var then = Now.AddHours(-1);
        await store.TryClaimAsync(new ClaimRequest("key", record.Owner, record.Fingerprint!, then, record.LeaseExpiresAt), CancellationToken.None);
        if (record.Status == RecordStatus.Completed)
        {
            Assert.True(await store.CompleteAsync(new CompleteRequest("key", record.Owner, record.Fingerprint!, then, record.ExpiresAt), CancellationToken.None));
        }

        return store;
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

/// <summary><c>UseMemoryStore</c>: options from the configuration given to <c>AddGenesysDedup</c>, then the action.</summary>
public sealed class MemoryStoreBuilderExtensionsTests
{
    [Theory]
    [InlineData(null, 100)]
    [InlineData(7, 7)]
    public void UseMemoryStore_GivenASubSection_BindsUnderItAndTheActionRunsAfter(int? fromAction, int expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["MyApp:Dedup:Memory:MaxEntries"] = "100" }).Build();
        var services = new ServiceCollection().AddLogging();
        var builder = services.AddGenesysDedup(configuration.GetSection("MyApp")).AddLogHandler();
        _ = fromAction is { } maxEntries ? builder.UseMemoryStore(o => o.MaxEntries = maxEntries) : builder.UseMemoryStore();
        using var provider = services.BuildServiceProvider();

        Assert.Equal(expected, provider.GetRequiredService<IOptions<MemoryStoreOptions>>().Value.MaxEntries);
        Assert.IsType<MemoryDedupStore>(provider.GetRequiredService<IDedupStore>());
    }

    [Fact]
    public void UseMemoryStore_MaxEntriesBelowOne_FailsAtStartNamingTheKey()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddGenesysDedup(new ConfigurationBuilder().Build()).AddLogHandler().UseMemoryStore(o => o.MaxEntries = 0);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Dedup:Memory:MaxEntries", error.Message, StringComparison.Ordinal);
    }
}
