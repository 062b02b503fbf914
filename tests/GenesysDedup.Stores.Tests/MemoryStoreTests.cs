using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Stores.Tests;

/// <summary>The contract suite in process, plus what only the memory store has: the sweep and the bound on its size.</summary>
public sealed class MemoryStoreTests : DedupStoreContractTests
{
    private readonly MemoryDedupStore _store = new();

    protected override IDedupStore Store => _store;

    protected override bool KeepsFingerprint => false;

    protected override TimeSpan ProcessedAtPrecision => TimeSpan.FromTicks(1);

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
