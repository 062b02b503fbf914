using GenesysDedup.Domain;
using GenesysDedup.Stores.Redis;
using GenesysDedup.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace GenesysDedup.Stores.Tests;

/// <summary>The contract suite against a real Redis server, plus what only Redis has: key layout, TTLs, faults.</summary>
public sealed class RedisStoreTests : DedupStoreContractTests, IAsyncLifetime
{
    private const string Prefix = "genesys-dedup-test:";
    private const string Fingerprint = "sha256:aaaa";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>Slack for the real time between a write and reading its TTL back.</summary>
    private static readonly TimeSpan TtlSlack = TimeSpan.FromSeconds(10);

    private ConnectionMultiplexer? _connection;
    private RedisDedupStore? _store;

    protected override IDedupStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    private ConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("Not initialised.");

    private IDatabase Raw => Connection.GetDatabase();

    public async Task InitializeAsync()
    {
        var server = await RedisServer.GetSharedAsync();
        _connection = await ConnectAsync(server);
        _store = NewStore(_connection, Prefix);
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task TryClaim_KeyAndValue_FollowTheDocumentedLayout()
    {
        var store = NewStore(Connection, "layout-test:");
        var key = $"billing:{Guid.NewGuid():N}";
        var now = Clock.GetUtcNow();

        await store.TryClaimAsync(new ClaimRequest(key, "owner1", "sha256:abc|def", now, now + Lease), CancellationToken.None);
        var claimed = (string?)await Raw.StringGetAsync("layout-test:" + key);
        await store.CompleteAsync(new CompleteRequest(key, "owner1", "sha256:abc|def", now, now + Retention), CancellationToken.None);
        var completed = (string?)await Raw.StringGetAsync("layout-test:" + key);

        var leaseMs = (now + Lease).ToUnixTimeMilliseconds();
        var expiresMs = (now + Retention).ToUnixTimeMilliseconds();
        Assert.Equal($"IN_PROGRESS|{leaseMs}|{leaseMs}|owner1|sha256:abc|def", claimed);
        Assert.Equal($"COMPLETED|{leaseMs}|{expiresMs}|owner1|sha256:abc|def", completed);
    }

    [Fact]
    public async Task Complete_KeyGone_WritesTheWholeRecordWithTheRetentionTtl()
    {
        // Redis expired the claim with its lease while the handler ran: the script writes the record from scratch.
        var key = NewKey();
        var now = Clock.GetUtcNow();

        Assert.True(await Store.CompleteAsync(new CompleteRequest(key, "owner1", "sha256:abc|def", now, now + Retention), CancellationToken.None));

        var nowMs = now.ToUnixTimeMilliseconds();
        Assert.Equal($"COMPLETED|{nowMs}|{(now + Retention).ToUnixTimeMilliseconds()}|owner1|sha256:abc|def", (string?)await Raw.StringGetAsync(Prefix + key));
        var ttl = await Raw.KeyTimeToLiveAsync(Prefix + key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, Retention - TtlSlack, Retention);
    }

    [Fact]
    public async Task KeyTtl_IsTheLeaseWhileInProgress_AndTheRetentionOnceCompleted()
    {
        var key = NewKey();
        var owner = NewToken();
        var now = Clock.GetUtcNow();

        await Store.TryClaimAsync(new ClaimRequest(key, owner, Fingerprint, now, now + Lease), CancellationToken.None);
        var leaseTtl = await Raw.KeyTimeToLiveAsync(Prefix + key);
        await Store.CompleteAsync(new CompleteRequest(key, owner, Fingerprint, now, now + Retention), CancellationToken.None);
        var retentionTtl = await Raw.KeyTimeToLiveAsync(Prefix + key);

        Assert.NotNull(leaseTtl);
        Assert.InRange(leaseTtl.Value, Lease - TtlSlack, Lease);
        Assert.NotNull(retentionTtl);
        Assert.InRange(retentionTtl.Value, Retention - TtlSlack, Retention);
    }

    [Fact]
    public async Task TryClaim_TakeoverOfALapsedLease_WritesTheNewOwnerAndLease()
    {
        var key = NewKey();
        await ClaimAsync(Store, key, NewToken(), Lease);
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var newLease = TimeSpan.FromMinutes(5);
        var newOwner = NewToken();

        var takeover = await ClaimAsync(Store, key, newOwner, newLease);

        Assert.Equal(ClaimStatus.Acquired, takeover.Status);
        Assert.True(RedisRecord.TryParse(await Raw.StringGetAsync(Prefix + key), out var record));
        Assert.Equal(newOwner, record.Owner);
        Assert.Equal(RecordStatus.InProgress, record.Status);
        var ttl = await Raw.KeyTimeToLiveAsync(Prefix + key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, newLease - TtlSlack, newLease);
    }

    [Fact]
    public async Task TryClaim_KeyHoldingAForeignString_ThrowsUnavailable()
    {
        var key = NewKey();
        await Raw.StringSetAsync(Prefix + key, "not a dedup record", TimeSpan.FromMinutes(1));

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(Store, key, NewToken(), Lease));
    }

    [Fact]
    public async Task Operations_OnAKeyOfAnotherType_ThrowUnavailable()
    {
        var key = NewKey();
        await Raw.ListLeftPushAsync(Prefix + key, "x");
        await Raw.KeyExpireAsync(Prefix + key, TimeSpan.FromMinutes(1));
        var now = Clock.GetUtcNow();

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(Store, key, NewToken(), Lease));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => Store.CompleteAsync(new CompleteRequest(key, "o", Fingerprint, now, now + Retention), CancellationToken.None).AsTask());
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => Store.ReleaseAsync(key, "o", CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task CompleteAndRelease_AfterTheScriptCacheIsFlushed_ReloadTheScripts()
    {
        await using var server = await RedisServer.StartDedicatedAsync();
        await using var connection = await ConnectAsync(server);
        var store = NewStore(connection, Prefix);
        var (done, failed) = (NewKey(), NewKey());
        await ClaimAsync(store, done, "o1", Lease);
        await ClaimAsync(store, failed, "o2", Lease);
        Assert.False(await ReleaseAsync(store, NewKey(), "warm-up")); // both scripts now loaded and cached by the client
        Assert.True(await CompleteAsync(store, NewKey(), "warm-up")); // nothing held that key: the completion is written

        await connection.GetDatabase().ExecuteAsync("SCRIPT", "FLUSH");

        Assert.True(await CompleteAsync(store, done, "o1"));
        Assert.True(await ReleaseAsync(store, failed, "o2"));
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(store, done, NewToken(), Lease)).Status);
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(store, failed, NewToken(), Lease)).Status);
    }

    [Fact]
    public async Task Operations_WhileTheServerIsBusyRunningAScript_ThrowUnavailable()
    {
        await using var server = await RedisServer.StartDedicatedAsync();
        await using var connection = await ConnectAsync(server);
        await using var blocker = await ConnectAsync(server);
        await using var probe = await ConnectAsync(server);
        var store = NewStore(connection, Prefix);
        await probe.GetDatabase().ExecuteAsync("CONFIG", "SET", "lua-time-limit", "10");

        // A script that never ends: once past the threshold the server answers -BUSY to everything else.
        _ = blocker.GetDatabase().ScriptEvaluateAsync("while true do end", flags: CommandFlags.FireAndForget);
        await LoopbackPort.WaitUntilAsync(
            async _ =>
            {
                try
                {
                    await probe.GetDatabase().PingAsync();
                    return false;
                }
                catch (RedisServerException ex) when (ex.Message.StartsWith("BUSY", StringComparison.Ordinal))
                {
                    return true;
                }
            },
            TimeSpan.FromSeconds(10),
            () => "the server never answered BUSY");

        try
        {
            await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(store, NewKey(), NewToken(), Lease));
            await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => CompleteAsync(store, NewKey(), NewToken()));
            await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => store.CheckReadyAsync(CancellationToken.None).AsTask());
        }
        finally
        {
            await probe.GetDatabase().ExecuteAsync("SCRIPT", "KILL");
        }

        // The client may have dropped the connection while every heartbeat was answered BUSY: allow it to reconnect.
        await WaitUntilReadyAsync(store, server);
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(store, NewKey(), NewToken(), Lease)).Status);
    }

    [Fact]
    public async Task Operations_WhileTheServerIsDown_ThrowUnavailable_AndRecoverWhenItReturns()
    {
        await using var server = await RedisServer.StartDedicatedAsync();
        await using var connection = await ConnectAsync(server);
        var store = NewStore(connection, Prefix);
        var key = NewKey();
        var owner = NewToken();
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(store, key, owner, Lease)).Status);

        await server.StopAsync();

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(store, NewKey(), NewToken(), Lease));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(store, key, NewToken(), Lease));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => CompleteAsync(store, key, owner));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ReleaseAsync(store, key, owner));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => store.CheckReadyAsync(CancellationToken.None).AsTask());

        await server.RestartAsync();
        await WaitUntilReadyAsync(store, server);

        // Same store, same multiplexer: the restarted server (no persistence) holds nothing, so the key is free again.
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(store, key, NewToken(), Lease)).Status);
    }

    /// <summary>Polls readiness with a bounded deadline: reconnection takes the client a moment.</summary>
    private static Task WaitUntilReadyAsync(RedisDedupStore store, RedisServer server) =>
        LoopbackPort.WaitUntilAsync(
            async _ =>
            {
                try
                {
                    await store.CheckReadyAsync(CancellationToken.None);
                    return true;
                }
                catch (DedupStoreUnavailableException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            () => $"the store did not become ready against {server}");

    internal static async Task<ConnectionMultiplexer> ConnectAsync(RedisServer server)
    {
        var options = RedisConnectionSettings.Create(server.Configuration);
        options.AllowAdmin = true; // SCRIPT FLUSH / KILL, CONFIG SET in the tests
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    internal static RedisDedupStore NewStore(IConnectionMultiplexer connection, string prefix) =>
        new(connection, prefix, NullLogger<RedisDedupStore>.Instance);

    private static string NewToken() => Guid.NewGuid().ToString("N");

    private Task<ClaimResult> ClaimAsync(IDedupStore store, string key, string owner, TimeSpan lease)
    {
        var now = Clock.GetUtcNow();
        return store.TryClaimAsync(new ClaimRequest(key, owner, Fingerprint, now, now + lease), CancellationToken.None).AsTask();
    }

    private Task<bool> CompleteAsync(RedisDedupStore store, string key, string owner)
    {
        var now = Clock.GetUtcNow();
        return store.CompleteAsync(new CompleteRequest(key, owner, Fingerprint, now, now + Retention), CancellationToken.None).AsTask();
    }

    private static Task<bool> ReleaseAsync(RedisDedupStore store, string key, string owner) =>
        store.ReleaseAsync(key, owner, CancellationToken.None).AsTask();
}
