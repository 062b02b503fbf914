using System.Globalization;

namespace GenesysDedup.Testing;

/// <summary>
/// A Sentinel-managed Redis on loopback: a primary and its replica (<c>redis-server</c> without persistence) and three
/// <c>redis-server --sentinel</c> processes watching them as service <see cref="ServiceName"/> with a quorum of two,
/// all on free ports. Ready when every Sentinel knows the primary, its replica and the two other Sentinels, and the
/// replica is in sync (its link up, the primary streaming to it). A short <see cref="DownAfter"/> makes the Sentinels promote the replica of a killed primary
/// within a few seconds. Shared by the tests of an assembly (<see cref="GetSharedAsync"/>) or started per test or run
/// that kills nodes (<see cref="StartAsync"/>). Needs
/// <c>redis-server</c> and <c>redis-cli</c> on PATH (Debian: the redis-server package; its binary runs Sentinel too).
/// </summary>
public sealed class RedisSentinel : IAsyncDisposable
{
    /// <summary>The name the Sentinels know the primary by; a client asks them for it (<c>serviceName=</c>).</summary>
    public const string ServiceName = "genesys-dedup";

    /// <summary>
    /// How long the primary may not answer before a Sentinel deems it down and the failover starts: short for quick
    /// tests, but not so short that a primary starved of CPU on a loaded machine looks dead.
    /// </summary>
    public static readonly TimeSpan DownAfter = TimeSpan.FromSeconds(2);

    private const int SentinelCount = 3;
    private static readonly TimeSpan FailoverTimeout = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly Lazy<Task<RedisSentinel>> _shared = new(StartAsync);

    private readonly TempDirectory _directory;
    private readonly string _server;
    private readonly Dictionary<int, LocalServerProcess> _nodes = [];
    private readonly List<(int Port, LocalServerProcess Process)> _sentinels = [];

    private RedisSentinel(TempDirectory directory, string server)
    {
        _directory = directory;
        _server = server;
    }

    /// <summary>StackExchange.Redis configuration string: the three Sentinels and the service name.</summary>
    public string Configuration =>
        string.Join(',', _sentinels.Select(s => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{s.Port}"))) + $",serviceName={ServiceName}";

    /// <summary>The instance shared by every test of the assembly that kills nothing; started on first use.</summary>
    public static Task<RedisSentinel> GetSharedAsync() => _shared.Value;

    /// <summary>Starts the pair and the Sentinels and waits until they are ready.</summary>
    public static async Task<RedisSentinel> StartAsync()
    {
        var server = LocalServerProcess.FindOnPath("redis-server");
        if (server is null || LocalServerProcess.FindOnPath("redis-cli") is null)
        {
            throw new InvalidOperationException("A Sentinel-managed Redis for the tests needs redis-server and redis-cli on PATH (Debian/Ubuntu: sudo apt-get install -y redis-server).");
        }

        var fixture = new RedisSentinel(new TempDirectory(), server);
        try
        {
            var primary = LoopbackPort.GetFree();
            await fixture.StartNodeAsync(primary, replicaOf: null);
            await fixture.StartNodeAsync(LoopbackPort.GetFree(), replicaOf: primary);
            for (var i = 0; i < SentinelCount; i++)
            {
                fixture.StartSentinel(LoopbackPort.GetFree(), primary);
            }

            await fixture.WaitUntilHealthyAsync(StartTimeout);
            return fixture;
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
    }

    /// <summary>The port of the primary, as the first Sentinel that answers names it.</summary>
    public async Task<int> GetPrimaryPortAsync()
    {
        foreach (var (port, process) in _sentinels.Where(s => !s.Process.HasExited))
        {
            try
            {
                return await PrimaryNamedByAsync(port);
            }
            catch (IOException)
            {
                // ask the next one
            }
        }

        throw new InvalidOperationException("No Sentinel named the primary.");
    }

    /// <summary>How many failovers the Sentinels have carried out since the start: the configuration epoch they agree on.</summary>
    public async Task<long> FailoversAsync()
    {
        var epochs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (port, _) in _sentinels)
        {
            epochs.Add(Fields(await RedisCli.AtAsync(port, "SENTINEL", "MASTER", ServiceName)).GetValueOrDefault("config-epoch") ?? "?");
        }

        return epochs.Count == 1 && long.TryParse(epochs.Single(), CultureInfo.InvariantCulture, out var epoch)
            ? epoch
            : throw new InvalidOperationException($"the Sentinels disagree on the configuration epoch: {string.Join(", ", epochs)}");
    }

    /// <summary>The port of the node that is not <paramref name="port"/> (the pair's other member).</summary>
    public int OtherNode(int port) => _nodes.Keys.Single(p => p != port);

    /// <summary>The process of the data node on <paramref name="port"/>.</summary>
    public LocalServerProcess Node(int port) => _nodes[port];

    /// <summary>kill -9 a data node by its process id; returns when it is gone.</summary>
    public Task KillAsync(int port) => _nodes[port].StopAsync();

    /// <summary>
    /// Waits until every Sentinel names a primary other than <paramref name="killedPort"/> and that node says it is a
    /// primary: the Sentinels have promoted the replica.
    /// </summary>
    public Task WaitUntilFailedOverAsync(int killedPort, TimeSpan? timeout = null) =>
        LoopbackPort.WaitUntilAsync(
            async _ =>
            {
                var named = new HashSet<int>();
                foreach (var (port, _) in _sentinels)
                {
                    named.Add(await PrimaryNamedByAsync(port));
                }

                return named.Count == 1 && named.Single() is var primary && primary != killedPort
                    && RedisCli.InfoField(await RedisCli.AtAsync(primary, "INFO", "replication"), "role") == "master";
            },
            timeout ?? StartTimeout,
            () => $"the Sentinels did not promote the replica of {killedPort}: {Describe()}");

    /// <summary>
    /// Starts the killed node again on its port as the replica of the current primary (an operator replacing a failed
    /// node does the same: started as a primary with no data, it would be one until a Sentinel turned it) and waits
    /// until every Sentinel sees it and it is in sync.
    /// </summary>
    public async Task RejoinAsync(int killedPort)
    {
        var primary = await GetPrimaryPortAsync();
        await _nodes[killedPort].DisposeAsync();
        _nodes.Remove(killedPort);
        await StartNodeAsync(killedPort, replicaOf: primary);
        await WaitUntilHealthyAsync(StartTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _sentinels.Select(s => s.Process).Concat(_nodes.Values))
        {
            await process.DisposeAsync();
        }

        _directory.Dispose();
    }

    public override string ToString() => $"Redis Sentinel at {Configuration}";

    /// <summary>
    /// Every Sentinel names the same primary, which says so, and lists one replica and two other Sentinels, none of them
    /// down; the replica is in sync as both it and the primary see it (<see cref="RedisCli.InSyncAsync"/>).
    /// </summary>
    private Task WaitUntilHealthyAsync(TimeSpan timeout) =>
        LoopbackPort.WaitUntilAsync(
            async _ =>
            {
                var primary = await GetPrimaryPortAsync();
                if (RedisCli.InfoField(await RedisCli.AtAsync(primary, "INFO", "replication"), "role") != "master"
                    || !await RedisCli.InSyncAsync(primary, OtherNode(primary)))
                {
                    return false;
                }

                foreach (var (port, _) in _sentinels)
                {
                    var master = Fields(await RedisCli.AtAsync(port, "SENTINEL", "MASTER", ServiceName));
                    var replicas = await RedisCli.AtAsync(port, "SENTINEL", "REPLICAS", ServiceName);
                    if (master.GetValueOrDefault("port") != primary.ToString(CultureInfo.InvariantCulture) || master.GetValueOrDefault("flags") != "master"
                        || master.GetValueOrDefault("num-slaves") != "1" || master.GetValueOrDefault("num-other-sentinels") != (SentinelCount - 1).ToString(CultureInfo.InvariantCulture)
                        || replicas.Contains("s_down", StringComparison.Ordinal) || replicas.Contains("disconnected", StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            },
            timeout,
            () => $"the Sentinel-managed pair did not become healthy: {Describe()}");

    private async Task StartNodeAsync(int port, int? replicaOf)
    {
        string[] replication = replicaOf is { } primary ? ["--replicaof", "127.0.0.1", primary.ToString(CultureInfo.InvariantCulture)] : [];
        var process = new LocalServerProcess(_server,
        [
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", string.Empty,
            "--appendonly", "no",
            // A replica loads its primary's data from the socket, leaving no dump.rdb in the working directory.
            "--repl-diskless-load", "on-empty-db",
            "--loglevel", "warning",
            .. replication,
        ]);
        _nodes[port] = process;
        process.Start();
        await RedisCli.WaitUntilServedByAsync(port, process, StartTimeout);
    }

    private void StartSentinel(int port, int primary)
    {
        // A Sentinel rewrites its configuration file as it learns (replicas, other Sentinels, epochs): one file each.
        var file = _directory.File(string.Create(CultureInfo.InvariantCulture, $"sentinel-{port}.conf"));
        File.WriteAllLines(file,
        [
            string.Create(CultureInfo.InvariantCulture, $"port {port}"),
            "bind 127.0.0.1",
            "loglevel warning",
            string.Create(CultureInfo.InvariantCulture, $"sentinel monitor {ServiceName} 127.0.0.1 {primary} 2"),
            string.Create(CultureInfo.InvariantCulture, $"sentinel down-after-milliseconds {ServiceName} {(int)DownAfter.TotalMilliseconds}"),
            string.Create(CultureInfo.InvariantCulture, $"sentinel failover-timeout {ServiceName} {(int)FailoverTimeout.TotalMilliseconds}"),
        ]);
        var process = new LocalServerProcess(_server, [file, "--sentinel"]);
        _sentinels.Add((port, process));
        process.Start();
    }

    /// <summary>The port of the primary that the Sentinel on <paramref name="sentinelPort"/> names.</summary>
    private static async Task<int> PrimaryNamedByAsync(int sentinelPort)
    {
        var address = (await RedisCli.AtAsync(sentinelPort, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return int.Parse(address[1], CultureInfo.InvariantCulture);
    }

    private string Describe() =>
        string.Join(Environment.NewLine, _nodes.Values.Concat(_sentinels.Select(s => s.Process)).Select(p => p.Describe()));

    /// <summary>A reply of alternating names and values, one a line (<c>SENTINEL MASTER</c>), as a dictionary.</summary>
    private static Dictionary<string, string> Fields(string reply)
    {
        var lines = reply.Split('\n', StringSplitOptions.TrimEntries);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < lines.Length; i += 2)
        {
            fields[lines[i]] = lines[i + 1];
        }

        return fields;
    }
}
