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

        await ClaimAsync(key, "owner1", "sha256:abc|def", store: store, traceParent: TraceA);
        var claimed = (string?)await Raw.StringGetAsync("layout-test:" + key);
        await CompleteAsync(key, "owner1", fingerprint: "sha256:abc|def", store: store);
        var completed = (string?)await Raw.StringGetAsync("layout-test:" + key);

        var leaseMs = (now + Lease).ToUnixTimeMilliseconds();
        var expiresMs = (now + Retention).ToUnixTimeMilliseconds();
        Assert.Equal($"IN_PROGRESS|{leaseMs}|{leaseMs}|owner1|{TraceA}||sha256:abc|def", claimed);
        Assert.Equal($"COMPLETED|{leaseMs}|{expiresMs}|owner1||{now.ToUnixTimeMilliseconds()}|sha256:abc|def", completed);
    }

    [Theory]
    [InlineData(TraceA)]
    [InlineData("")]
    public async Task Operations_OnAValueWrittenBeforeProcessedAt_ReadCompleteAndReleaseIt(string trace)
    {
        // Six fields: Status|LeaseExpiresAt|ExpiresAt|Owner|TraceParent|Fingerprint, as values were laid out before.
        var now = Clock.GetUtcNow();
        var leaseMs = (now + Lease).ToUnixTimeMilliseconds();
        var done = NewKey();
        var held = NewKey();
        var failing = NewKey();
        await Raw.StringSetAsync(Prefix + done, $"COMPLETED|{now.ToUnixTimeMilliseconds()}|{(now + Retention).ToUnixTimeMilliseconds()}|owner1|{trace}|sha256:abc|def", Retention);
        await Raw.StringSetAsync(Prefix + held, $"IN_PROGRESS|{leaseMs}|{leaseMs}|owner2|{trace}|sha256:abc|def", Lease);
        await Raw.StringSetAsync(Prefix + failing, $"IN_PROGRESS|{leaseMs}|{leaseMs}|owner3|{trace}|sha256:abc|def", Lease);

        var found = await FindAsync(done);
        var duplicate = await ClaimAsync(done, NewOwner(), "sha256:abc|def");
        var conflict = await ClaimAsync(done, NewOwner(), "sha256:other");
        var busy = await ClaimAsync(held, NewOwner(), "sha256:abc|def");
        Clock.Advance(TimeSpan.FromSeconds(2));
        var completed = await CompleteAsync(held, "owner2", fingerprint: "sha256:abc|def");
        var heldAfter = await FindAsync(held);
        var released = await ReleaseAsync(failing, "owner3");

        Assert.Equal(DedupRecordStatus.Completed, found?.Status);
        Assert.Null(found?.ProcessedAt);
        Assert.Equal("sha256:abc|def", found?.Fingerprint); // read whole, not taken for a completion time
        Assert.Equal(ClaimStatus.Duplicate, duplicate.Status);
        Assert.Equal(trace.Length == 0 ? null : trace, duplicate.TraceParent);
        Assert.Equal(ClaimStatus.Conflict, conflict.Status);
        Assert.Equal(ClaimStatus.InProgress, busy.Status);
        Assert.True(completed);
        Assert.Equal(now + TimeSpan.FromSeconds(2), heldAfter?.ProcessedAt);
        Assert.Equal($"COMPLETED|{leaseMs}|{(now + TimeSpan.FromSeconds(2) + Retention).ToUnixTimeMilliseconds()}|owner2||{(now + TimeSpan.FromSeconds(2)).ToUnixTimeMilliseconds()}|sha256:abc|def", (string?)await Raw.StringGetAsync(Prefix + held));
        Assert.True(released);
        Assert.False(await Raw.KeyExistsAsync(Prefix + failing));
    }

    [Theory]
    [InlineData("sha256:abc|def")]
    [InlineData("")]
    public async Task TryClaim_ValueWrittenBeforeTraceContext_ReadsWithItsFingerprintAndNoTraceParent(string fingerprint)
    {
        // Five fields: Status|LeaseExpiresAt|ExpiresAt|Owner|Fingerprint, as values were laid out before.
        var key = NewKey();
        var now = Clock.GetUtcNow();
        var oldValue = $"COMPLETED|{now.ToUnixTimeMilliseconds()}|{(now + Retention).ToUnixTimeMilliseconds()}|owner1|{fingerprint}";
        await Raw.StringSetAsync(Prefix + key, oldValue, Retention);

        var found = await ClaimAsync(key, NewOwner(), fingerprint, traceParent: TraceB);
        var conflict = await ClaimAsync(key, NewOwner(), "sha256:other", traceParent: TraceB);

        Assert.Equal(ClaimStatus.Duplicate, found.Status);
        Assert.Null(found.TraceParent);
        Assert.Equal(ClaimStatus.Conflict, conflict.Status); // the fingerprint was read whole
    }

    [Fact]
    public async Task Complete_KeyGone_WritesTheWholeRecordWithTheRetentionTtl()
    {
        // Redis expired the claim with its lease while the handler ran: the script writes the record from scratch.
        var key = NewKey();
        var now = Clock.GetUtcNow();

        Assert.True(await CompleteAsync(key, "owner1", fingerprint: "sha256:abc|def"));

        var nowMs = now.ToUnixTimeMilliseconds();
        Assert.Equal($"COMPLETED|{nowMs}|{(now + Retention).ToUnixTimeMilliseconds()}|owner1||{nowMs}|sha256:abc|def", (string?)await Raw.StringGetAsync(Prefix + key));
        await AssertTtlAsync(key, Retention);
    }

    [Fact]
    public async Task KeyTtl_IsTheLeaseWhileInProgress_AndTheRetentionOnceCompleted()
    {
        var key = NewKey();
        var owner = NewOwner();

        await ClaimAsync(key, owner);
        await AssertTtlAsync(key, Lease);
        await CompleteAsync(key, owner);
        await AssertTtlAsync(key, Retention);
    }

    [Fact]
    public async Task TryClaim_TakeoverOfALapsedLease_WritesTheNewOwnerAndLease()
    {
        var key = NewKey();
        await ClaimAsync(key, NewOwner());
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var newLease = TimeSpan.FromMinutes(5);
        var newOwner = NewOwner();

        var takeover = await ClaimAsync(key, newOwner, lease: newLease);

        Assert.Equal(ClaimStatus.Acquired, takeover.Status);
        Assert.True(RedisRecord.TryParse(await Raw.StringGetAsync(Prefix + key), out var record));
        Assert.Equal(newOwner, record.Owner);
        Assert.Equal(RecordStatus.InProgress, record.Status);
        await AssertTtlAsync(key, newLease);
    }

    [Fact]
    public async Task TryClaim_KeyHoldingAForeignString_ThrowsUnavailable()
    {
        var key = NewKey();
        await Raw.StringSetAsync(Prefix + key, "not a dedup record", TimeSpan.FromMinutes(1));

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(key, NewOwner()));
    }

    [Fact]
    public async Task Operations_OnAKeyOfAnotherType_ThrowUnavailable()
    {
        var key = NewKey();
        await Raw.ListLeftPushAsync(Prefix + key, "x");
        await Raw.KeyExpireAsync(Prefix + key, TimeSpan.FromMinutes(1));

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(key, NewOwner()));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => CompleteAsync(key, "o"));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ReleaseAsync(key, "o"));
    }

    [Fact]
    public async Task CompleteAndRelease_AfterTheScriptCacheIsFlushed_ReloadTheScripts()
    {
        await using var server = await RedisServer.StartDedicatedAsync();
        await using var connection = await ConnectAsync(server);
        var store = NewStore(connection, Prefix);
        var (done, failed) = (NewKey(), NewKey());
        await ClaimAsync(done, "o1", store: store);
        await ClaimAsync(failed, "o2", store: store);
        Assert.False(await ReleaseAsync(NewKey(), "warm-up", store)); // both scripts now loaded and cached by the client
        Assert.True(await CompleteAsync(NewKey(), "warm-up", store: store)); // nothing held that key: the completion is written

        await connection.GetDatabase().ExecuteAsync("SCRIPT", "FLUSH");

        Assert.True(await CompleteAsync(done, "o1", store: store));
        Assert.True(await ReleaseAsync(failed, "o2", store));
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(done, NewOwner(), store: store)).Status);
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(failed, NewOwner(), store: store)).Status);
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
            await AssertEveryOperationUnavailableAsync(store, NewKey(), NewOwner());
        }
        finally
        {
            await probe.GetDatabase().ExecuteAsync("SCRIPT", "KILL");
        }

        // The client may have dropped the connection while every heartbeat was answered BUSY: allow it to reconnect.
        await WaitUntilReadyAsync(store, server);
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(NewKey(), NewOwner(), store: store)).Status);
    }

    [Fact]
    public async Task Operations_WhileTheServerIsDown_ThrowUnavailable_AndRecoverWhenItReturns()
    {
        await using var server = await RedisServer.StartDedicatedAsync();
        await using var connection = await ConnectAsync(server);
        var store = NewStore(connection, Prefix);
        var key = NewKey();
        var owner = NewOwner();
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, owner, store: store)).Status);

        await server.StopAsync();

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(NewKey(), NewOwner(), store: store));
        await AssertEveryOperationUnavailableAsync(store, key, owner);

        await server.RestartAsync();
        await WaitUntilReadyAsync(store, server);

        // Same store, same multiplexer: the restarted server (no persistence) holds nothing, so the key is free again.
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, NewOwner(), store: store)).Status);
    }

    private async Task AssertTtlAsync(string key, TimeSpan expected)
    {
        var ttl = await Raw.KeyTimeToLiveAsync(Prefix + key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, expected - TtlSlack, expected);
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

    internal static Task<ConnectionMultiplexer> ConnectAsync(RedisServer server) => ConnectAsync(server.Configuration);

    internal static async Task<ConnectionMultiplexer> ConnectAsync(string configuration)
    {
        var options = RedisConnectionSettings.Create(configuration);
        options.AllowAdmin = true; // SCRIPT FLUSH / KILL, CONFIG SET in the tests
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>
    /// Waiting for <paramref name="replicas"/> replicas that exist and are in sync: <c>WAIT</c> returns as soon as they
    /// acknowledge, so the long timeout costs a passing test nothing, while a loaded machine holding a replica back
    /// for half a second does not fail it (a CI run with 500 ms did). Under the client's 5 s command timeout, as the
    /// store's registration keeps it.
    /// </summary>
    internal static ReplicaWait WaitForReplicas(int replicas) => new(replicas, TimeSpan.FromSeconds(4));

    internal static RedisDedupStore NewStore(IConnectionMultiplexer connection, string prefix, ReplicaWait? wait = null) =>
        new(Task.FromResult(connection), prefix, NullLogger<RedisDedupStore>.Instance, wait);
}
