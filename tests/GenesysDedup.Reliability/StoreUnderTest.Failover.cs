using System.Globalization;
using GenesysDedup.Testing;

namespace GenesysDedup.Reliability;

internal abstract partial class StoreUnderTest
{
    /// <summary>
    /// A Redis whose primary has one replica that takes over when the primary dies, no persistence (the replica is
    /// the copy), the hosts configured with <c>Dedup:Redis:WaitReplicas</c> of the run. Its fault is a failover: a
    /// primary killed (kill -9) after its replica was cut off, the replica promoted, the killed node started again as
    /// the new primary's replica.
    /// </summary>
    internal abstract class FailoverStore(string dataDirectory) : StoreUnderTest(dataDirectory)
    {
        private int _killedPort;

        /// <summary>Kills the primary without a cut; returns once it is gone.</summary>
        public override async Task BeginOutageAsync(CancellationToken cancellationToken) => await FailPrimaryAsync(TimeSpan.Zero, cancellationToken);

        /// <summary>Returns once the replica is promoted and serves the killed primary's data.</summary>
        public override Task EndOutageAsync(CancellationToken cancellationToken) => WaitUntilPromotedAsync(_killedPort);

        /// <summary>
        /// Cuts the replica of the primary to fail off, verifies from the primary that it is, lets the primary take
        /// <paramref name="replicaLag"/> of writes that reach no replica, and kills it. The cut: the replica frozen
        /// (SIGSTOP) so it can neither read nor reconnect, then its link dropped by the primary (<c>CLIENT KILL TYPE
        /// replica</c>), so nothing the primary writes from then on is on the replica; it runs again once the primary
        /// is dead. Null when <paramref name="replicaLag"/> is zero (the primary killed with a healthy replica).
        /// </summary>
        public async Task<ReplicaCut?> FailPrimaryAsync(TimeSpan replicaLag, CancellationToken cancellationToken)
        {
            var (primary, replica) = await ChooseAsync();
            _killedPort = primary;
            if (replicaLag <= TimeSpan.Zero)
            {
                await KillAsync(primary);
                return null;
            }

            var replicaProcess = NodeProcess(replica);
            replicaProcess.Freeze();
            var frozenAt = TimeProvider.System.GetUtcNow();
            try
            {
                var killed = (await RedisCli.AtAsync(primary, "CLIENT", "KILL", "TYPE", "replica")).Trim();
                var atCut = await ReplicationAsync(primary, "after CLIENT KILL TYPE replica answered " + killed);
                var cutAt = TimeProvider.System.GetUtcNow();
                await Task.Delay(replicaLag, TimeProvider.System, cancellationToken);
                var atKill = await ReplicationAsync(primary, "before the kill");
                var killAt = TimeProvider.System.GetUtcNow();
                await KillAsync(primary);
                return new ReplicaCut(frozenAt, cutAt, killAt, atCut, atKill);
            }
            finally
            {
                replicaProcess.Thaw();
            }
        }

        /// <summary>Starts the killed node again as the new primary's replica; returns once its link is up.</summary>
        public Task RejoinAsync() => RejoinAsync(_killedPort);

        /// <summary>Failovers since the start, when the store counts them (null: it does not).</summary>
        public virtual Task<long?> FailoversAsync() => Task.FromResult<long?>(null);

        /// <summary>The Redis keys the node that took the failed primary's place holds; null when it holds every key.</summary>
        public abstract Task<IReadOnlySet<string>?> KeysOfFailedPrimaryAsync();

        /// <summary>The primary to fail (the busiest one) and its replica, by port.</summary>
        protected abstract Task<(int Primary, int Replica)> ChooseAsync();

        protected abstract LocalServerProcess NodeProcess(int port);

        protected abstract Task KillAsync(int port);

        protected abstract Task WaitUntilPromotedAsync(int killedPort);

        protected abstract Task RejoinAsync(int killedPort);

        /// <summary>Every Redis key of the run on the node at <paramref name="port"/>.</summary>
        protected static async Task<IReadOnlySet<string>> KeysAsync(int port) =>
            (await RedisCli.AtAsync(port, "--scan", "--pattern", "genesys-dedup:*")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

        /// <summary>The primary's replication offset, once it says no replica is connected (else the cut did not hold).</summary>
        private static async Task<long> ReplicationAsync(int primary, string when)
        {
            var info = await RedisCli.AtAsync(primary, "INFO", "replication");
            return RedisCli.InfoField(info, "connected_slaves") == "0"
                ? long.Parse(RedisCli.InfoField(info, "master_repl_offset")!, CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"the replica was not cut off {when}: the primary says {info}");
        }
    }

    /// <summary>
    /// A Redis Cluster of three primaries with a replica each (<see cref="Testing.RedisCluster"/>), the hosts on all six
    /// nodes. The failed primary is the one holding the most keys; the cluster promotes its replica itself once the node
    /// timeout passes, and the killed node rejoins as the new primary's replica from its cluster config file.
    /// </summary>
    internal sealed class RedisCluster(Testing.RedisCluster cluster, int waitReplicas, string dataDirectory) : FailoverStore(dataDirectory)
    {
        private int _replicaPort;

        public override string Name => "redis-cluster";

        public override string Description => $"{cluster}, Dedup:Redis:WaitReplicas={waitReplicas}";

        public override IReadOnlyDictionary<string, string?> HostEnvironment { get; } = FailoverSettings(cluster.Configuration, waitReplicas);

        /// <summary>The keys of the promoted replica, which serves the failed primary's slots only.</summary>
        public override async Task<IReadOnlySet<string>?> KeysOfFailedPrimaryAsync() => await KeysAsync(_replicaPort);

        protected override async Task<(int Primary, int Replica)> ChooseAsync()
        {
            var topology = await cluster.GetTopologyAsync();
            var sizes = new List<(ClusterNodeInfo Node, long Keys)>();
            foreach (var primary in topology.Where(n => n.IsPrimary && n.Slots.Count > 0))
            {
                sizes.Add((primary, long.Parse((await RedisCli.AtAsync(primary.Port, "DBSIZE")).Trim(), CultureInfo.InvariantCulture)));
            }

            var busiest = sizes.MaxBy(s => s.Keys).Node;
            _replicaPort = topology.Single(n => n.PrimaryId == busiest.Id).Port;
            return (busiest.Port, _replicaPort);
        }

        protected override LocalServerProcess NodeProcess(int port) => cluster.Nodes.Single(n => n.Port == port).Process;

        protected override Task KillAsync(int port) => cluster.KillAsync(port);

        /// <summary>Every node says <c>cluster_state:ok</c>, three primaries serving all slots.</summary>
        protected override Task WaitUntilPromotedAsync(int killedPort) => cluster.WaitUntilHealthyAsync(timeout: TimeSpan.FromSeconds(60));

        protected override async Task RejoinAsync(int killedPort)
        {
            cluster.Restart(killedPort);
            await cluster.WaitUntilHealthyAsync(timeout: TimeSpan.FromSeconds(60));
        }

        protected override ValueTask DisposeServerAsync() => cluster.DisposeAsync();
    }

    /// <summary>
    /// A primary and its replica managed by three Sentinels (<see cref="Testing.RedisSentinel"/>), the hosts given the
    /// Sentinels and the service name. The Sentinels promote the replica once the primary has not answered for their
    /// down-after time; the killed node is started again as the new primary's replica.
    /// </summary>
    internal sealed class RedisSentinel(Testing.RedisSentinel sentinel, int waitReplicas, string dataDirectory) : FailoverStore(dataDirectory)
    {
        public override string Name => "redis-sentinel";

        public override string Description => $"{sentinel}, Dedup:Redis:WaitReplicas={waitReplicas}";

        public override IReadOnlyDictionary<string, string?> HostEnvironment { get; } = FailoverSettings(sentinel.Configuration, waitReplicas);

        public override Task<IReadOnlySet<string>?> KeysOfFailedPrimaryAsync() => Task.FromResult<IReadOnlySet<string>?>(null);

        public override async Task<long?> FailoversAsync() => await sentinel.FailoversAsync();

        protected override async Task<(int Primary, int Replica)> ChooseAsync()
        {
            var primary = await sentinel.GetPrimaryPortAsync();
            return (primary, sentinel.OtherNode(primary));
        }

        protected override LocalServerProcess NodeProcess(int port) => sentinel.Node(port);

        protected override Task KillAsync(int port) => sentinel.KillAsync(port);

        protected override Task WaitUntilPromotedAsync(int killedPort) => sentinel.WaitUntilFailedOverAsync(killedPort);

        protected override Task RejoinAsync(int killedPort) => sentinel.RejoinAsync(killedPort);

        protected override ValueTask DisposeServerAsync() => sentinel.DisposeAsync();
    }

    private static Dictionary<string, string?> FailoverSettings(string configuration, int waitReplicas) => new()
    {
        ["Dedup__Store"] = "redis",
        ["Dedup__Redis__Configuration"] = configuration,
        ["Dedup__Redis__WaitReplicas"] = waitReplicas.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// A replica cut off from its primary: frozen at <see cref="FrozenAt"/>; from <see cref="CutAt"/> (the primary had dropped its link and said no replica
/// was connected) to <see cref="KillAt"/> (it still said so, and was killed next), the primary's replication offset
/// went from <see cref="PrimaryOffsetAtCut"/> to <see cref="PrimaryOffsetAtKill"/>: bytes of writes the replica lacks.
/// </summary>
internal sealed record ReplicaCut(DateTimeOffset FrozenAt, DateTimeOffset CutAt, DateTimeOffset KillAt, long PrimaryOffsetAtCut, long PrimaryOffsetAtKill)
{
    public long BytesNotReplicated => PrimaryOffsetAtKill - PrimaryOffsetAtCut;
}
