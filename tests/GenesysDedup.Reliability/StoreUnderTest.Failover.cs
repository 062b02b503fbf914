using System.Globalization;
using GenesysDedup.Testing;

namespace GenesysDedup.Reliability;

internal abstract partial class StoreUnderTest
{
    /// <summary>
    /// A Redis Cluster of three primaries with a replica each (<see cref="Testing.RedisCluster"/>, no persistence: the
    /// replicas are the copies), the hosts on all six nodes with <c>Dedup:Redis:WaitReplicas</c> of the run. Its fault
    /// is a failover: the busiest primary killed (kill -9), its replica promoted by the cluster itself once the node
    /// timeout passes, then the killed node started again, which rejoins as the new primary's replica.
    /// </summary>
    internal sealed class RedisCluster(Testing.RedisCluster cluster, int waitReplicas, string dataDirectory) : StoreUnderTest(dataDirectory)
    {
        private int _killedPort;

        public override string Name => "redis-cluster";

        public override string Description => $"{cluster}, Dedup:Redis:WaitReplicas={waitReplicas}";

        public override IReadOnlyDictionary<string, string?> HostEnvironment { get; } = new Dictionary<string, string?>
        {
            ["Dedup__Store"] = "redis",
            ["Dedup__Redis__Configuration"] = cluster.Configuration,
            ["Dedup__Redis__WaitReplicas"] = waitReplicas.ToString(CultureInfo.InvariantCulture),
        };

        /// <summary>Kills the primary holding the most keys of the run; returns once it is gone.</summary>
        public override Task BeginOutageAsync(CancellationToken cancellationToken) => FailPrimaryAsync(TimeSpan.Zero, cancellationToken);

        /// <summary>
        /// Kills the primary holding the most keys of the run, <paramref name="replicaLag"/> after cutting its replica
        /// off, so that the writes of that time are on the primary only, as when a replica's link is down or lags
        /// behind on a slow network; returns once the primary is gone.
        /// </summary>
        public async Task FailPrimaryAsync(TimeSpan replicaLag, CancellationToken cancellationToken)
        {
            var primaries = (await cluster.GetTopologyAsync()).Where(n => n.IsPrimary && n.Slots.Count > 0).ToList();
            var sizes = new List<(int Port, long Keys)>();
            foreach (var primary in primaries)
            {
                sizes.Add((primary.Port, long.Parse((await cluster.CliAsync(primary.Port, "DBSIZE")).Trim(), CultureInfo.InvariantCulture)));
            }

            _killedPort = sizes.MaxBy(s => s.Keys).Port;
            if (replicaLag > TimeSpan.Zero)
            {
                var primaryId = primaries.Single(p => p.Port == _killedPort).Id;
                var replica = (await cluster.GetTopologyAsync()).Single(n => n.PrimaryId == primaryId);
                // Drop its link and stall it before it can reconnect (once a second): the primary's writes from now on
                // reach no replica. (A stall alone would not do: the kernel keeps what the primary sent for the replica.)
                var seconds = (replicaLag.TotalSeconds + 0.5).ToString("0.###", CultureInfo.InvariantCulture);
                var stalled = cluster.CliPipelineAsync(replica.Port, "CLIENT KILL TYPE master", $"DEBUG SLEEP {seconds}");
                await Task.Delay(replicaLag, TimeProvider.System, cancellationToken);
                await cluster.KillAsync(_killedPort);
                await stalled;
                return;
            }

            await cluster.KillAsync(_killedPort);
        }

        /// <summary>Returns once a replica serves the killed primary's slots and every node says the cluster is ok.</summary>
        public override Task EndOutageAsync(CancellationToken cancellationToken) => cluster.WaitUntilHealthyAsync(timeout: TimeSpan.FromSeconds(60));

        /// <summary>Starts the killed node again; returns once it is the new primary's replica with its link up.</summary>
        public async Task RejoinAsync()
        {
            cluster.Restart(_killedPort);
            await cluster.WaitUntilHealthyAsync(timeout: TimeSpan.FromSeconds(60));
        }

        protected override ValueTask DisposeServerAsync() => cluster.DisposeAsync();
    }
}
