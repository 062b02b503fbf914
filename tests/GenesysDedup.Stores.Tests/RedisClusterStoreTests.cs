using System.Globalization;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Redis;
using GenesysDedup.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace GenesysDedup.Stores.Tests;

/// <summary>
/// The contract suite on a real Redis Cluster of three primaries and three replicas (<see cref="RedisCluster"/>), plus
/// what only a cluster has: keys on every primary, a slot migrating under load (ASK, then MOVED), replicas a write must
/// reach (<c>Dedup:Redis:WaitReplicas</c>) and a failover.
/// </summary>
public sealed class RedisClusterStoreTests : DedupStoreContractTests, IAsyncLifetime
{
    private const string Prefix = "genesys-dedup-cluster-test:";

    /// <summary>Short enough that a test waiting for a replica that does not exist answers quickly.</summary>
    private static readonly TimeSpan MissingReplicaTimeout = TimeSpan.FromMilliseconds(500);

    private RedisCluster? _cluster;
    private ConnectionMultiplexer? _connection;
    private RedisDedupStore? _store;

    protected override IDedupStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    private RedisCluster Cluster => _cluster ?? throw new InvalidOperationException("Not initialised.");

    private ConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("Not initialised.");

    public async Task InitializeAsync()
    {
        _cluster = await RedisCluster.GetSharedAsync();
        _connection = await RedisStoreTests.ConnectAsync(_cluster.Configuration);
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
    public async Task Operations_OnKeysOfEveryPrimarysSlots_AreAnsweredAndStoredOnThatPrimary()
    {
        var primaries = (await Cluster.GetTopologyAsync()).Where(n => n.IsPrimary && n.Slots.Count > 0).ToList();
        Assert.Equal(RedisCluster.Primaries, primaries.Count);
        var keys = KeysOnEveryPrimary(primaries, perPrimary: 3);

        foreach (var key in keys)
        {
            var owner = NewOwner();
            Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, owner)).Status);
            Assert.True(await CompleteAsync(key, owner));
            Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner())).Status);
        }

        // The server's own hash of each key names the primary that must hold it, and that primary does.
        var holders = new HashSet<int>();
        foreach (var key in keys)
        {
            var slot = int.Parse((await RedisCli.AtAsync(primaries[0].Port, "CLUSTER", "KEYSLOT", Prefix + key)).Trim(), CultureInfo.InvariantCulture);
            var holder = primaries.Single(p => p.Serves(slot));
            Assert.Equal("1", (await RedisCli.AtAsync(holder.Port, "EXISTS", Prefix + key)).Trim());
            holders.Add(holder.Port);
        }

        Assert.Equal(RedisCluster.Primaries, holders.Count);
    }

    [Fact]
    public async Task Operations_WhileTheirSlotMigratesUnderLoad_AreAnsweredAsWithoutTheMigration()
    {
        // Every key of this test hashes to one slot (a hash tag), which moves to another primary key batch by key
        // batch while claims, completions and duplicate checks of its keys run: the client is sent ASK while the
        // slot is half moved and MOVED once it has.
        var tag = $"migrate-{Guid.NewGuid():N}";
        string KeyOf(int i) => string.Create(CultureInfo.InvariantCulture, $"contract:{{{tag}}}:{i}");
        var slot = Connection.HashSlot(Prefix + KeyOf(0));
        var topology = await Cluster.GetTopologyAsync();
        var source = topology.Single(n => n.IsPrimary && n.Serves(slot));
        var target = topology.First(n => n.IsPrimary && !n.Serves(slot) && n.Slots.Count > 0);
        const int settled = 100;
        for (var i = 0; i < settled; i++)
        {
            await ProcessAsync(KeyOf(i));
        }

        var asksBefore = await ErrorCountAsync(source.Port, "ASK");
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var processed = settled;
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref processed);
                try
                {
                    await ProcessAsync(KeyOf(i));
                    await ProcessAsync(KeyOf(i % settled), settledAlready: true);
                }
                catch (Exception ex) when (ex is DedupStoreUnavailableException or Xunit.Sdk.XunitException)
                {
                    lock (failures)
                    {
                        failures.Add($"key {i}: {ex.Message}");
                    }
                }
            }
        })));

        await RedisCli.AtAsync(target.Port, "CLUSTER", "SETSLOT", Slot(slot), "IMPORTING", source.Id);
        await RedisCli.AtAsync(source.Port, "CLUSTER", "SETSLOT", Slot(slot), "MIGRATING", target.Id);
        while (true)
        {
            var batch = (await RedisCli.AtAsync(source.Port, "CLUSTER", "GETKEYSINSLOT", Slot(slot), "5"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (batch.Length == 0)
            {
                break;
            }

            await RedisCli.AtAsync(source.Port, ["MIGRATE", "127.0.0.1", target.Port.ToString(CultureInfo.InvariantCulture), "", "0", "5000", "KEYS", .. batch]);
        }

        var asksDuring = await ErrorCountAsync(source.Port, "ASK") - asksBefore;
        foreach (var node in new[] { target, source }.Concat(topology.Where(n => n != target && n != source)))
        {
            await RedisCli.AtAsync(node.Port, "CLUSTER", "SETSLOT", Slot(slot), "NODE", target.Id);
        }

        // Keep the load up until the client has been redirected to the slot's new primary and served there.
        var movedAt = Volatile.Read(ref processed);
        await LoopbackPort.WaitUntilAsync(
            _ => Task.FromResult(Volatile.Read(ref processed) > movedAt + 20),
            TimeSpan.FromSeconds(60),
            () => "the load stalled after the slot moved");
        await stop.CancelAsync();
        await load;

        Assert.Empty(failures);
        Assert.True(asksDuring > 0, "no ASK redirection happened while the slot was migrating: the test did not exercise it");
        Assert.Equal(target.Port, (await Cluster.GetTopologyAsync()).Single(n => n.IsPrimary && n.Serves(slot)).Port);
        Assert.Equal("0", (await RedisCli.AtAsync(source.Port, "CLUSTER", "COUNTKEYSINSLOT", Slot(slot))).Trim());
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(KeyOf(0), NewOwner())).Status);
    }

    [Fact]
    public async Task ClaimAndComplete_WaitingForTheOneReplicaOfEachPrimary_AreAcknowledged()
    {
        var store = RedisStoreTests.NewStore(Connection, Prefix, RedisStoreTests.WaitForReplicas(1));
        var primaries = (await Cluster.GetTopologyAsync()).Where(n => n.IsPrimary && n.Slots.Count > 0).ToList();

        foreach (var key in KeysOnEveryPrimary(primaries, perPrimary: 2))
        {
            var owner = NewOwner();
            Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, owner, store: store)).Status);
            Assert.True(await CompleteAsync(key, owner, store: store));
            Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner(), store: store)).Status);
        }
    }

    [Fact]
    public async Task ClaimAndComplete_WaitingForMoreReplicasThanThePrimaryHas_AreUnavailable()
    {
        var store = RedisStoreTests.NewStore(Connection, Prefix, new ReplicaWait(2, MissingReplicaTimeout));
        var key = NewKey();

        var claim = await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(key, "o1", store: store));
        var completion = await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => CompleteAsync(NewKey(), "o2", store: store));

        Assert.Contains("1 of 2 replicas", claim.Message, StringComparison.Ordinal);
        Assert.Contains("Dedup:Redis:WaitReplicas", completion.Message, StringComparison.Ordinal);

        // The claim was written on the primary all the same, unconfirmed: it holds the key until its lease ends.
        Assert.Equal(ClaimStatus.InProgress, (await ClaimAsync(key, NewOwner())).Status);
    }

    [Fact]
    public async Task WaitReplicas_ReplicaKilled_IsUnavailable_AndAfterAFailoverTheAcknowledgedRecordStands()
    {
        await using var cluster = await RedisCluster.StartDedicatedAsync();
        await using var connection = await RedisStoreTests.ConnectAsync(cluster.Configuration);
        var store = RedisStoreTests.NewStore(connection, Prefix, RedisStoreTests.WaitForReplicas(1));
        var topology = await cluster.GetTopologyAsync();
        var primaries = topology.Where(n => n.IsPrimary && n.Slots.Count > 0).ToList();
        var (lonely, failing) = (primaries[0], primaries[1]);

        // A primary whose replica is gone still takes the write, but nobody acknowledges it.
        await cluster.KillAsync(topology.Single(n => n.PrimaryId == lonely.Id).Port);
        var impatient = RedisStoreTests.NewStore(connection, Prefix, new ReplicaWait(1, MissingReplicaTimeout));
        var unreplicated = await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(KeysOnEveryPrimary([lonely], 1)[0], "o1", store: impatient));
        Assert.Contains("0 of 1 replicas", unreplicated.Message, StringComparison.Ordinal);

        // A record its replica acknowledged outlives its primary: the promoted replica answers duplicate.
        var key = KeysOnEveryPrimary([failing], 1)[0];
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, "o2", store: store)).Status);
        Assert.True(await CompleteAsync(key, "o2", store: store));
        await cluster.KillAsync(failing.Port);
        await cluster.WaitUntilHealthyAsync();
        await WaitUntilAnsweredAsync(store, key);

        var promoted = (await cluster.GetTopologyAsync()).Single(n => n.IsPrimary && n.Serves(connection.HashSlot(Prefix + key)));
        Assert.NotEqual(failing.Port, promoted.Port);
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner(), store: store)).Status);
    }

    /// <summary>Claim, complete, then a duplicate claim of <paramref name="key"/>; a settled key is a duplicate at once.</summary>
    private async Task ProcessAsync(string key, bool settledAlready = false)
    {
        if (settledAlready)
        {
            Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner())).Status);
            return;
        }

        var owner = NewOwner();
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, owner)).Status);
        Assert.True(await CompleteAsync(key, owner));
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner())).Status);
    }

    /// <summary><paramref name="perPrimary"/> fresh keys in the slots of each of <paramref name="primaries"/>.</summary>
    private List<string> KeysOnEveryPrimary(IReadOnlyList<ClusterNodeInfo> primaries, int perPrimary)
    {
        var byPrimary = primaries.ToDictionary(p => p.Id, _ => new List<string>());
        while (byPrimary.Values.Any(keys => keys.Count < perPrimary))
        {
            var key = NewKey();
            var slot = Connection.HashSlot(Prefix + key);
            if (primaries.FirstOrDefault(p => p.Serves(slot)) is { } owner && byPrimary[owner.Id].Count < perPrimary)
            {
                byPrimary[owner.Id].Add(key);
            }
        }

        return [.. byPrimary.Values.SelectMany(keys => keys)];
    }

    /// <summary>The count of error replies starting <paramref name="prefix"/> a node has sent (<c>INFO errorstats</c>).</summary>
    private static async Task<long> ErrorCountAsync(int port, string prefix)
    {
        var line = (await RedisCli.AtAsync(port, "INFO", "errorstats")).Split('\n').FirstOrDefault(l => l.StartsWith($"errorstat_{prefix}:count=", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Polls a look-up of <paramref name="key"/> until the client has found the slot's new primary.</summary>
    private Task WaitUntilAnsweredAsync(RedisDedupStore store, string key) =>
        LoopbackPort.WaitUntilAsync(
            async _ =>
            {
                try
                {
                    await FindAsync(key, store);
                    return true;
                }
                catch (DedupStoreUnavailableException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            () => "the client never reached the promoted replica");

    private static string Slot(int slot) => slot.ToString(CultureInfo.InvariantCulture);
}
