using System.Net.Sockets;
using System.Text;
using DotNet.Testcontainers.Configurations;
using Testcontainers.Redis;

namespace GenesysDedup.Testing;

/// <summary>
/// A Redis server for the tests. Where it comes from, in order:
/// <list type="number">
/// <item><see cref="EnvironmentVariable"/>, a StackExchange.Redis configuration string of a running server (shared
/// instance only: it cannot be stopped);</item>
/// <item><c>redis-server</c> on PATH, started as a child process on a free loopback port without persistence;</item>
/// <item>a Docker engine: a Testcontainers Redis container bound to a free loopback port;</item>
/// <item>otherwise the start fails saying how to install <c>redis-server</c>.</item>
/// </list>
/// One <see cref="GetSharedAsync">shared</see> instance serves a test assembly; outage tests start a
/// <see cref="StartDedicatedAsync">dedicated</see> one they can <see cref="StopAsync"/> and <see cref="RestartAsync"/>
/// on the same port.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    /// <summary>Set it to use an already running server, e.g. <c>localhost:6379</c>.</summary>
    public const string EnvironmentVariable = "GENESYSDEDUP_REDIS";

    private const string DockerImage = "redis:7-alpine";
    private const int RedisPort = 6379;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly Lazy<Task<RedisServer>> _shared = new(() => StartAsync(allowExternal: true));

    private readonly LocalServerProcess? _process;
    private readonly RedisContainer? _container;
    private readonly int _port;

    private RedisServer(string configuration, string source, LocalServerProcess? process = null, RedisContainer? container = null, int port = 0)
    {
        Configuration = configuration;
        Source = source;
        _process = process;
        _container = container;
        _port = port;
    }

    /// <summary>StackExchange.Redis configuration string of this server.</summary>
    public string Configuration { get; }

    /// <summary>Where the server comes from: the environment variable, <c>redis-server</c> or <c>docker</c>.</summary>
    public string Source { get; }

    /// <summary>Whether <see cref="StopAsync"/> and <see cref="RestartAsync"/> work (not for a server given by the environment).</summary>
    public bool CanStop => _process is not null || _container is not null;

    /// <summary>The instance shared by every test of the assembly; started on first use, stopped when the process exits.</summary>
    public static Task<RedisServer> GetSharedAsync() => _shared.Value;

    /// <summary>A server of one's own, for tests that stop and restart it. Never the one given by the environment.</summary>
    public static Task<RedisServer> StartDedicatedAsync() => StartAsync(allowExternal: false);

    /// <summary>
    /// A <c>redis-server</c> of one's own that keeps its data across <see cref="StopAsync"/> (a kill -9) and
    /// <see cref="RestartAsync"/>, as a production server does: an append-only file in <paramref name="dataDirectory"/>,
    /// fsynced on every write. Needs <c>redis-server</c> on PATH.
    /// </summary>
    public static async Task<RedisServer> StartDedicatedPersistentAsync(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var executable = LocalServerProcess.FindOnPath("redis-server")
            ?? throw new InvalidOperationException("A persistent Redis server needs redis-server on PATH (Debian/Ubuntu: sudo apt-get install -y redis-server).");
        Directory.CreateDirectory(dataDirectory);
        return await StartProcessAsync(executable, dataDirectory);
    }

    /// <summary>Stops the server (kills the process by its id, or stops the container). The port stays reserved for <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync();
        }
        else if (_container is not null)
        {
            await _container.StopAsync();
        }
        else
        {
            throw new InvalidOperationException($"The server from {EnvironmentVariable} cannot be stopped; use StartDedicatedAsync().");
        }
    }

    /// <summary>Starts the stopped server again on the same port and waits until it answers PING.</summary>
    public async Task RestartAsync()
    {
        if (_process is not null)
        {
            _process.Start();
            await WaitForPingAsync(_port, _process);
        }
        else if (_container is not null)
        {
            await _container.StartAsync();
            await WaitForPingAsync(_port, process: null);
        }
        else
        {
            throw new InvalidOperationException($"The server from {EnvironmentVariable} cannot be restarted; use StartDedicatedAsync().");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    public override string ToString() => $"{Source} at {Configuration}";

    private static async Task<RedisServer> StartAsync(bool allowExternal)
    {
        if (allowExternal && Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configuration)
        {
            return new RedisServer(configuration, EnvironmentVariable);
        }

        if (LocalServerProcess.FindOnPath("redis-server") is { } executable)
        {
            return await StartProcessAsync(executable);
        }

        if (DockerIsAvailable())
        {
            return await StartContainerAsync();
        }

        throw new InvalidOperationException(
            "No Redis server for the tests: redis-server is not on PATH and no Docker engine was found. "
            + "Install it (Debian/Ubuntu: sudo apt-get install -y redis-server)"
            + (allowExternal
                ? $", or set {EnvironmentVariable} to the StackExchange.Redis configuration string of a running server (e.g. localhost:6379)."
                : $". Tests that stop and restart a server need one they start themselves; {EnvironmentVariable} serves only the shared instance."));
    }

    private static async Task<RedisServer> StartProcessAsync(string executable, string? dataDirectory = null)
    {
        var port = LoopbackPort.GetFree();
        string[] persistence = dataDirectory is null
            ? ["--appendonly", "no"]
            : ["--dir", dataDirectory, "--appendonly", "yes", "--appendfsync", "always"];
        var process = new LocalServerProcess(executable,
        [
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", string.Empty,
            .. persistence,
            "--loglevel", "warning",
        ]);
        try
        {
            process.Start();
            await WaitForPingAsync(port, process);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return new RedisServer($"127.0.0.1:{port}", "redis-server", process: process, port: port);
    }

    private static async Task<RedisServer> StartContainerAsync()
    {
        var port = LoopbackPort.GetFree();
        var container = new RedisBuilder(DockerImage).WithPortBinding(port, RedisPort).Build();
        try
        {
            await container.StartAsync();
            await WaitForPingAsync(port, process: null);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }

        return new RedisServer($"127.0.0.1:{port}", "docker", container: container, port: port);
    }

    private static bool DockerIsAvailable()
    {
        try
        {
            return TestcontainersSettings.OS.DockerEndpointAuthConfig is not null;
        }
#pragma warning disable CA1031 // Discovery failing for any reason means "no Docker" here.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    /// <summary>Polls the port with a raw <c>PING</c> until the server answers <c>+PONG</c> (not <c>-LOADING</c>).</summary>
    private static Task WaitForPingAsync(int port, LocalServerProcess? process) =>
        LoopbackPort.WaitUntilAsync(
            async cancellationToken =>
            {
                if (process is { HasExited: true })
                {
                    throw new InvalidOperationException($"redis-server exited during start: {process.Describe()}");
                }

                return await PingAsync(port, cancellationToken);
            },
            StartTimeout,
            () => $"Redis on 127.0.0.1:{port} did not answer PING. {process?.Describe()}");

    private static async Task<bool> PingAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer, cancellationToken);
        return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
    }
}
