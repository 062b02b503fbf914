using GenesysDedup.Domain;
using GenesysDedup.Stores.Redis;
using GenesysDedup.Testing;
using StackExchange.Redis;

namespace GenesysDedup.Stores.Tests;

/// <summary>
/// The contract suite through Redis Sentinel (<see cref="RedisSentinel"/>: a primary, its replica and three
/// Sentinels), the client given only the Sentinels and the service name, plus a failover the Sentinels carry out.
/// </summary>
public sealed class RedisSentinelStoreTests : DedupStoreContractTests, IAsyncLifetime
{
    private const string Prefix = "genesys-dedup-sentinel-test:";

    private ConnectionMultiplexer? _connection;
    private RedisDedupStore? _store;

    protected override IDedupStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    public async Task InitializeAsync()
    {
        _connection = await RedisStoreTests.ConnectAsync((await RedisSentinel.GetSharedAsync()).Configuration);
        _store = RedisStoreTests.NewStore(_connection, Prefix);
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task Operations_AcrossAFailover_FollowThePrimaryTheSentinelsPromote()
    {
        await using var sentinel = await RedisSentinel.StartAsync();
        await using var connection = await RedisStoreTests.ConnectAsync(sentinel.Configuration);
        var store = RedisStoreTests.NewStore(connection, Prefix, RedisStoreTests.WaitForReplicas(1));
        var (done, held) = (NewKey(), NewKey());
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(done, "o1", store: store)).Status);
        Assert.True(await CompleteAsync(done, "o1", store: store));
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(held, "o2", store: store)).Status);
        var primary = await sentinel.GetPrimaryPortAsync();

        await sentinel.KillAsync(primary);
        await sentinel.WaitUntilFailedOverAsync(primary);
        await sentinel.RejoinAsync(primary);
        var promoted = await sentinel.GetPrimaryPortAsync();
        await WaitUntilWritableAsync(store);

        // What the replica acknowledged before stands on it as the new primary; the claim's holder completes there,
        // with the rejoined node as the replica that WAIT counts.
        Assert.NotEqual(primary, promoted);
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(done, NewOwner(), store: store)).Status);
        Assert.True(await CompleteAsync(held, "o2", store: store));
        Assert.StartsWith("COMPLETED|", await RedisCli.AtAsync(promoted, "GET", Prefix + held), StringComparison.Ordinal);
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(held, NewOwner(), store: store)).Status);
    }

    /// <summary>Polls claims of fresh keys until one is acquired: the client writes to the promoted primary again.</summary>
    private Task WaitUntilWritableAsync(RedisDedupStore store) =>
        LoopbackPort.WaitUntilAsync(
            async _ =>
            {
                try
                {
                    return (await ClaimAsync(NewKey(), NewOwner(), store: store)).Status == ClaimStatus.Acquired;
                }
                catch (DedupStoreUnavailableException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            () => "the client never wrote to the promoted primary");
}
