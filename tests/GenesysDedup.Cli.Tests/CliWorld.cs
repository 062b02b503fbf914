using System.Text;
using GenesysDedup.Testing;

namespace GenesysDedup.Cli.Tests;

/// <summary>
/// One test's world: a working directory of its own, a counting downstream (real Kestrel) for the <c>http</c> handler,
/// and a store on a real server (the assembly's redis-server or dynalite) with keys or a table of its own, or a SQLite
/// file in its working directory. The tool gets the store and handler as environment variables, as an operator on the
/// host's machine has them.
/// </summary>
internal sealed class CliWorld : IAsyncDisposable
{
    private CliWorld(string directory, CountingDownstream downstream, Dictionary<string, string?> environment)
    {
        Directory = directory;
        Downstream = downstream;
        Environment = environment;
    }

    public string Directory { get; }

    public CountingDownstream Downstream { get; }

    public Dictionary<string, string?> Environment { get; }

    public static async Task<CliWorld> StartAsync(string store)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var settings = store switch
        {
            "redis" => StoreSettings.Redis(await RedisServer.GetSharedAsync(), keyPrefix: $"cli-{id}:"),
            "dynamodb" => StoreSettings.DynamoDb(DynaliteServer.Shared.ServiceUrl, $"cli-{id}"),
            "sqlite" => StoreSettings.Sqlite("genesys-dedup.db"), // in the working directory, as the tool resolves it
            _ => throw new ArgumentOutOfRangeException(nameof(store), store, null),
        };
        if (store == "dynamodb")
        {
            settings["Dedup:DynamoDb:Region"] = "us-east-1";
        }

        var downstream = await CountingDownstream.StartAsync();
        settings["Handler:Kind"] = "http";
        settings["Handler:Http:Url"] = downstream.Url.AbsoluteUri;
        // A delivery the test holds at the downstream stays in flight until released, not until the default 3 s lapse.
        settings["Handler:Http:Timeout"] = "00:01:00";
        var directory = System.IO.Directory.CreateTempSubdirectory("genesys-dedup-cli-").FullName;
        return new CliWorld(directory, downstream, settings.AsEnvironment());
    }

    /// <summary>Writes a file in the working directory and returns its name (the tool reports that name).</summary>
    public string Write(string name, string text)
    {
        File.WriteAllText(Path.Combine(Directory, name), text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return name;
    }

    /// <summary>Writes events as JSON lines.</summary>
    public string WriteLines(string name, IEnumerable<byte[]> events) =>
        Write(name, string.Concat(events.Select(e => Encoding.UTF8.GetString(e) + "\n")));

    public Task<CliResult> RunAsync(params string[] args) => CliProcess.RunAsync(Directory, Environment, args);

    public Task<CliResult> RunWithStdinAsync(string stdin, params string[] args) => CliProcess.RunAsync(Directory, Environment, args, stdin);

    public CliProcess Start(params string[] args) => CliProcess.Start(Directory, Environment, args);

    /// <summary>How many times the handler delivered each key downstream.</summary>
    public Dictionary<string, int> DeliveriesByKey() =>
        Downstream.Deliveries.GroupBy(d => d.Key ?? "").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await Downstream.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
