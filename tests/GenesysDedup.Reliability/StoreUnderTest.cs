using GenesysDedup.Testing;

namespace GenesysDedup.Reliability;

/// <summary>
/// The dedup store of a run and its outage. Redis and DynamoDB: a real server on a loopback port started by the test
/// fixtures, whose outage is a stop (kill -9 by process id) and a restart on the same port; both keep their data across
/// it (Redis: an fsynced append-only file; dynalite: LevelDB), as a production Redis or DynamoDB does. SQLite: one file
/// the hosts share, made unwritable for the outage (<see cref="Sqlite"/>).
/// </summary>
internal abstract partial class StoreUnderTest : IAsyncDisposable
{
    private readonly string _dataDirectory;

    protected StoreUnderTest(string dataDirectory)
    {
        _dataDirectory = dataDirectory;
    }

    public abstract string Name { get; }

    public abstract string Description { get; }

    /// <summary>The host's configuration for this store (environment variable names, <c>__</c> for <c>:</c>).</summary>
    public abstract IReadOnlyDictionary<string, string?> HostEnvironment { get; }

    public static async Task<StoreUnderTest> StartAsync(ScenarioOptions options, string runId, CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"genesysdedup-reliability-{runId}");
        return options.Store switch
        {
            "redis" => new Redis(await RedisServer.StartDedicatedPersistentAsync(dataDirectory), dataDirectory),
            "dynamodb" => new DynamoDb(await DynaliteServer.StartDedicatedPersistentAsync(dataDirectory, cancellationToken), dataDirectory, $"reliability-{runId}"),
            "redis-cluster" => new RedisCluster(await Testing.RedisCluster.StartDedicatedAsync(), options.WaitReplicas, dataDirectory),
            "redis-sentinel" => new RedisSentinel(await Testing.RedisSentinel.StartAsync(), options.WaitReplicas, dataDirectory),
            "sqlite" => await Sqlite.CreateAsync(dataDirectory, options.Synchronous, fullDisk: options.Fault == "full-disk", cancellationToken),
            _ => throw new ArgumentException($"unknown store '{options.Store}' (redis, dynamodb, sqlite, redis-cluster or redis-sentinel)", nameof(options)),
        };
    }

    /// <summary>Returns once the store can no longer record anything.</summary>
    public abstract Task BeginOutageAsync(CancellationToken cancellationToken);

    /// <summary>Returns once the store works again, with the data it had.</summary>
    public abstract Task EndOutageAsync(CancellationToken cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await DisposeServerAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // left in the temp folder; harmless
        }
    }

    protected abstract ValueTask DisposeServerAsync();

    private sealed class Redis(RedisServer server, string dataDirectory) : StoreUnderTest(dataDirectory)
    {
        public override string Name => "redis";

        public override string Description => $"redis-server at {server.Configuration}";

        public override IReadOnlyDictionary<string, string?> HostEnvironment { get; } = StoreSettings.Redis(server).AsEnvironment();

        public override Task BeginOutageAsync(CancellationToken cancellationToken) => server.StopAsync();

        public override Task EndOutageAsync(CancellationToken cancellationToken) => server.RestartAsync();

        protected override ValueTask DisposeServerAsync() => server.DisposeAsync();
    }

    private sealed class DynamoDb(DynaliteServer server, string dataDirectory, string table) : StoreUnderTest(dataDirectory)
    {
        public override string Name => "dynamodb";

        public override string Description => $"{server.Description}, table {table}";

        public override IReadOnlyDictionary<string, string?> HostEnvironment { get; } = StoreSettings.DynamoDb(server.ServiceUrl, table).AsEnvironment();

        public override Task BeginOutageAsync(CancellationToken cancellationToken) => server.StopAsync();

        public override Task EndOutageAsync(CancellationToken cancellationToken) => server.RestartAsync(cancellationToken);

        protected override ValueTask DisposeServerAsync() => server.DisposeAsync();
    }
}
