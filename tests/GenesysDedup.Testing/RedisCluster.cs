using System.Globalization;

namespace GenesysDedup.Testing;

/// <summary>
/// A real Redis Cluster on loopback: six <c>redis-server --cluster-enabled yes</c> child processes on free ports, without
/// persistence, joined by <c>redis-cli --cluster create … --cluster-replicas 1</c> into three primaries with one replica
/// each. Started once per test assembly (<see cref="GetSharedAsync"/>) or per test that kills nodes
/// (<see cref="StartDedicatedAsync"/>); ready when every node says <c>cluster_state:ok</c>, knows all six nodes and
/// every replica is in sync with its primary (its link up, the primary streaming to it). A short node timeout (2 s)
/// makes a replica take over a killed primary within a few seconds. Needs <c>redis-server</c> and <c>redis-cli</c> on
/// PATH (Debian: the redis-server package).
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    public const int Primaries = 3;
    public const int NodeCount = Primaries * 2;

    /// <summary>How long a node may be unreachable before the others mark it failed and its replica takes over.</summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly Lazy<Task<RedisCluster>> _shared = new(StartAsync);

    private readonly TempDirectory _directory;

    private RedisCluster(TempDirectory directory, IReadOnlyList<Node> nodes)
    {
        _directory = directory;
        Nodes = nodes;
    }

    /// <summary>The six nodes, in the order they were started.</summary>
    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>StackExchange.Redis configuration string naming every node (the client discovers the slot map from any of them).</summary>
    public string Configuration => string.Join(',', Nodes.Select(n => n.EndPoint));

    /// <summary>The cluster shared by every test of the assembly; started on first use, stopped when the process exits.</summary>
    public static Task<RedisCluster> GetSharedAsync() => _shared.Value;

    /// <summary>A cluster of one's own, for tests that kill nodes.</summary>
    public static Task<RedisCluster> StartDedicatedAsync() => StartAsync();

    /// <summary>Who is primary of what, as <c>CLUSTER NODES</c> on a running node tells it.</summary>
    public async Task<IReadOnlyList<ClusterNodeInfo>> GetTopologyAsync(int? askPort = null)
    {
        var port = askPort ?? Nodes.First(n => !n.Process.HasExited).Port;
        return ClusterNodeInfo.Parse(await RedisCli.AtAsync(port, "CLUSTER", "NODES"));
    }

    /// <summary>kill -9 one node by its process id; returns when it is gone.</summary>
    public Task KillAsync(int port) => Nodes.Single(n => n.Port == port).Process.StopAsync();

    /// <summary>
    /// Starts a killed node again on its port with its cluster config file; a primary that lost its slots to a
    /// promoted replica rejoins as that replica's replica (wait for it with <see cref="WaitUntilHealthyAsync"/>).
    /// </summary>
    public void Restart(int port) => Nodes.Single(n => n.Port == port).Process.Start();

    /// <summary>
    /// Waits until every running node says <c>cluster_state:ok</c>, every running node knows the same
    /// three primaries serving all 16384 slots, and every running node is one of them or a
    /// replica in sync with its primary as both see it (<see cref="RedisCli.InSyncAsync"/>).
    /// </summary>
    public Task WaitUntilHealthyAsync(TimeSpan? timeout = null) =>
        LoopbackPort.WaitUntilAsync(
            async _ =>
            {
                foreach (var node in Nodes.Where(n => !n.Process.HasExited))
                {
                    var info = await RedisCli.AtAsync(node.Port, "CLUSTER", "INFO");
                    if (!info.Contains("cluster_state:ok", StringComparison.Ordinal) || !info.Contains("cluster_slots_ok:16384", StringComparison.Ordinal))
                    {
                        return false;
                    }

                    var topology = ClusterNodeInfo.Parse(await RedisCli.AtAsync(node.Port, "CLUSTER", "NODES"));
                    if (topology.Count(n => n.IsPrimary && !n.Failed && n.Slots.Count > 0) != Primaries)
                    {
                        return false;
                    }

                    var self = topology.Single(n => n.IsSelf);
                    if (self.IsPrimary
                        ? self.Slots.Count == 0
                        : topology.FirstOrDefault(n => n.Id == self.PrimaryId) is not { } primary || !await RedisCli.InSyncAsync(primary.Port, node.Port))
                    {
                        return false;
                    }
                }

                return true;
            },
            timeout ?? StartTimeout,
            () => "the cluster did not become healthy: " + string.Join(Environment.NewLine, Nodes.Select(n => n.Process.Describe())));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.Process.DisposeAsync();
        }

        _directory.Dispose();
    }

    public override string ToString() => $"Redis Cluster at {Configuration}";

    private static async Task<RedisCluster> StartAsync()
    {
        var server = LocalServerProcess.FindOnPath("redis-server");
        if (server is null || LocalServerProcess.FindOnPath("redis-cli") is null)
        {
            throw new InvalidOperationException("A Redis Cluster for the tests needs redis-server and redis-cli on PATH (Debian/Ubuntu: sudo apt-get install -y redis-server).");
        }

        var directory = new TempDirectory();
        var nodes = new List<Node>();
        var cluster = new RedisCluster(directory, nodes);
        try
        {
            for (var i = 0; i < NodeCount; i++)
            {
                var (port, busPort) = (LoopbackPort.GetFree(), LoopbackPort.GetFree());
                var process = new LocalServerProcess(server,
                [
                    "--port", port.ToString(CultureInfo.InvariantCulture),
                    "--cluster-port", busPort.ToString(CultureInfo.InvariantCulture),
                    "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes",
                    // An absolute path and no --dir, so the process keeps the test's working directory.
                    "--cluster-config-file", directory.File($"nodes-{port}.conf"),
                    "--cluster-node-timeout", ((int)NodeTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                    "--save", string.Empty,
                    "--appendonly", "no",
                    // A replica loads its primary's data from the socket, leaving no dump.rdb in the working directory.
                    "--repl-diskless-load", "on-empty-db",
                    "--loglevel", "warning",
                ]);
                nodes.Add(new Node(port, process));
                process.Start();
            }

            foreach (var node in nodes)
            {
                await RedisCli.WaitUntilServedByAsync(node.Port, node.Process, StartTimeout);
            }

            await RedisCli.RunAsync(["--cluster", "create", .. nodes.Select(n => n.EndPoint), "--cluster-replicas", "1", "--cluster-yes"]);
            await cluster.WaitUntilHealthyAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>One node: its client port and its process.</summary>
    public sealed record Node(int Port, LocalServerProcess Process)
    {
        public string EndPoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");
    }
}

/// <summary>One line of <c>CLUSTER NODES</c>: a node's id, port, role, its primary (for a replica) and the slots it serves.</summary>
public sealed record ClusterNodeInfo(string Id, int Port, bool IsPrimary, bool IsSelf, bool Failed, string? PrimaryId, IReadOnlyList<(int First, int Last)> Slots)
{
    /// <summary>Whether this node serves <paramref name="slot"/>.</summary>
    public bool Serves(int slot) => Slots.Any(range => slot >= range.First && slot <= range.Last);

    public static IReadOnlyList<ClusterNodeInfo> Parse(string clusterNodes) =>
    [
        .. clusterNodes.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line =>
        {
            // <id> <ip:port@cport> <flags> <primary> <ping-sent> <pong-recv> <epoch> <link-state> <slot> <slot> ...
            var fields = line.Split(' ');
            var address = fields[1];
            var port = int.Parse(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..address.IndexOf('@', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            var flags = fields[2].Split(',');
            var slots = fields.Skip(8).Where(s => !s.StartsWith('[')).Select(s =>
            {
                var dash = s.IndexOf('-', StringComparison.Ordinal);
                return dash < 0
                    ? (int.Parse(s, CultureInfo.InvariantCulture), int.Parse(s, CultureInfo.InvariantCulture))
                    : (int.Parse(s[..dash], CultureInfo.InvariantCulture), int.Parse(s[(dash + 1)..], CultureInfo.InvariantCulture));
            }).ToList();
            return new ClusterNodeInfo(fields[0], port, flags.Contains("master"), flags.Contains("myself"), flags.Contains("fail") || flags.Contains("fail?"),
                fields[3] == "-" ? null : fields[3], slots);
        }),
    ];
}
