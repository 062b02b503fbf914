using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;

namespace GenesysDedup.Testing;

/// <summary>
/// A DynamoDB-compatible server for the tests, in order of preference:
/// <list type="number">
/// <item>the endpoint in <c>GENESYSDEDUP_DYNAMODB_URL</c>, when set (shared instance only: it cannot be stopped);</item>
/// <item>dynalite (pinned in <c>tests/dynalite</c>, installed by <c>npm ci --prefix tests/dynalite</c>) run by
/// <c>node</c> as a child process on a free loopback port, stopped by process id on dispose and at process exit;</item>
/// <item>with a Docker engine present, an <c>amazon/dynamodb-local</c> container (Testcontainers).</item>
/// </list>
/// <see cref="Shared"/> is one instance per test assembly; outage tests start their own with
/// <see cref="StartDedicatedAsync"/> and use <see cref="StopAsync"/> and <see cref="RestartAsync"/>, which keep the port.
/// Every server here keeps its tables in memory, so after a restart they are gone — except one started with
/// <see cref="StartDedicatedPersistentAsync"/>, which keeps them on disk.
/// </summary>
public sealed class DynaliteServer : IAsyncDisposable, IDisposable
{
    /// <summary>An endpoint to use instead of starting a server, e.g. <c>http://127.0.0.1:8000</c>.</summary>
    public const string EndpointVariable = "GENESYSDEDUP_DYNAMODB_URL";

    /// <summary>The container image used when neither the variable nor a local dynalite is available.</summary>
    public const string ContainerImage = "amazon/dynamodb-local:latest";

    private const string InstallHint = "Install the pinned dynalite with `npm ci --prefix tests/dynalite` (needs Node.js 20+), or set "
        + EndpointVariable + " to a DynamoDB-compatible endpoint, or start a Docker engine.";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<DynaliteServer> SharedInstance = new(
        () => StartAsync(allowExternal: true).GetAwaiter().GetResult(),
        LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly IBackend _backend;
    private bool _disposed;

    private DynaliteServer(IBackend backend)
    {
        _backend = backend;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>The one server of this test assembly, started on first use.</summary>
    public static DynaliteServer Shared => SharedInstance.Value;

    /// <summary>Where the server listens.</summary>
    public Uri ServiceUrl => _backend.ServiceUrl;

    /// <summary>What runs behind <see cref="ServiceUrl"/>, for messages.</summary>
    public string Description => _backend.Description;

    /// <summary>A server of its own, which the caller may stop and restart (never the endpoint from the environment).</summary>
    public static Task<DynaliteServer> StartDedicatedAsync(CancellationToken cancellationToken = default) =>
        StartAsync(allowExternal: false, cancellationToken);

    /// <summary>
    /// A dynalite of one's own whose tables and items live in a LevelDB store in <paramref name="dataDirectory"/>, so
    /// they survive <see cref="StopAsync"/> and <see cref="RestartAsync"/>, as DynamoDB's do. Needs the pinned dynalite
    /// and node (no container fallback).
    /// </summary>
    public static async Task<DynaliteServer> StartDedicatedPersistentAsync(string dataDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        if (!NodeBackend.TryLocate(out var node, out var cli, out var why))
        {
            throw new InvalidOperationException($"A persistent dynalite needs the local install: {why}. {InstallHint}");
        }

        Directory.CreateDirectory(dataDirectory);
        var backend = new NodeBackend(node, cli, dataDirectory);
        try
        {
            await backend.StartAsync(cancellationToken).ConfigureAwait(false);
            return new DynaliteServer(backend);
        }
        catch
        {
            await backend.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the server; its port stays reserved for <see cref="RestartAsync"/>.</summary>
    public Task StopAsync() => _backend.StopAsync();

    /// <summary>Starts the server again on the same port: with no tables, unless it is a persistent one.</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) => _backend.StartAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        await _backend.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void OnProcessExit(object? sender, EventArgs e) => _backend.Kill();

    private static async Task<DynaliteServer> StartAsync(bool allowExternal, CancellationToken cancellationToken = default)
    {
        if (allowExternal && Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var url))
            {
                throw new InvalidOperationException($"{EndpointVariable}='{endpoint}' is not an absolute URL.");
            }

            return new DynaliteServer(new ExternalBackend(url));
        }

        var problems = new List<string>();
        if (NodeBackend.TryLocate(out var node, out var cli, out var why))
        {
            var backend = new NodeBackend(node, cli);
            try
            {
                await backend.StartAsync(cancellationToken).ConfigureAwait(false);
                return new DynaliteServer(backend);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
            {
                await backend.DisposeAsync().ConfigureAwait(false);
                problems.Add(ex.Message);
            }
        }
        else
        {
            problems.Add(why);
        }

        if (TestcontainersSettings.OS.DockerEndpointAuthConfig is not null)
        {
            var backend = new ContainerBackend();
            try
            {
                await backend.StartAsync(cancellationToken).ConfigureAwait(false);
                return new DynaliteServer(backend);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await backend.DisposeAsync().ConfigureAwait(false);
                problems.Add($"{ContainerImage} did not start: {ex.Message}");
            }
        }
        else
        {
            problems.Add("no Docker engine found for the Testcontainers fallback");
        }

        throw new InvalidOperationException($"No DynamoDB-compatible server for the tests: {string.Join("; ", problems)}. {InstallHint}");
    }

    /// <summary>A free TCP port on the loopback address, found by binding port 0.</summary>
    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private interface IBackend : IAsyncDisposable
    {
        Uri ServiceUrl { get; }

        string Description { get; }

        Task StartAsync(CancellationToken cancellationToken);

        Task StopAsync();

        /// <summary>Best effort, synchronous: for process exit.</summary>
        void Kill();
    }

    private sealed class ExternalBackend(Uri url) : IBackend
    {
        public Uri ServiceUrl => url;

        public string Description => $"the endpoint in {EndpointVariable} ({url})";

        public Task StartAsync(CancellationToken cancellationToken) => throw NotOurs();

        public Task StopAsync() => throw NotOurs();

        public void Kill()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static NotSupportedException NotOurs() =>
            new($"The endpoint in {EndpointVariable} is not ours to stop or start; use DynaliteServer.StartDedicatedAsync().");
    }

    /// <summary>dynalite run by node; found from the repository root (the folder holding GenesysDedup.sln).</summary>
    private sealed class NodeBackend(string node, string cli, string? dataDirectory = null) : IBackend
    {
        private const string ReadyLine = "Dynalite listening at";
        private const int MaxPortAttempts = 3;
        private readonly ConcurrentQueue<string> _output = new();
        private Process? _process;
        private int _port;

        public Uri ServiceUrl => new($"http://127.0.0.1:{_port}/");

        public string Description => $"dynalite (pid {_process?.Id}) at {ServiceUrl}";

        public static bool TryLocate(out string node, out string cli, out string why)
        {
            node = cli = why = string.Empty;
            var root = RepositoryRoot.TryFind();
            if (root is null)
            {
                why = $"no GenesysDedup.sln above {AppContext.BaseDirectory}";
                return false;
            }

            cli = Path.Combine(root, "tests", "dynalite", "node_modules", "dynalite", "cli.js");
            if (!File.Exists(cli))
            {
                why = $"dynalite is not installed ({cli} is missing)";
                return false;
            }

            var found = LocalServerProcess.FindOnPath(OperatingSystem.IsWindows() ? "node.exe" : "node");
            if (found is null)
            {
                why = "node is not on PATH";
                return false;
            }

            node = found;
            return true;
        }

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            if (_process is { HasExited: false })
            {
                return;
            }

            if (_port != 0)
            {
                await LaunchAsync(_port, cancellationToken).ConfigureAwait(false); // a restart keeps its port
                return;
            }

            for (var attempt = 1; ; attempt++)
            {
                var port = FreeLoopbackPort();
                try
                {
                    await LaunchAsync(port, cancellationToken).ConfigureAwait(false);
                    _port = port;
                    return;
                }
                catch (InvalidOperationException) when (attempt < MaxPortAttempts)
                {
                    // Another process took the port between our probe and dynalite's bind: try another.
                }
            }
        }

        public async Task StopAsync()
        {
            var process = _process;
            _process = null;
            if (process is null)
            {
                return;
            }

            using (process)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                await process.WaitForExitAsync().ConfigureAwait(false);
            }
        }

        public void Kill()
        {
            try
            {
                if (_process is { HasExited: false } process)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }

        public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

        private async Task LaunchAsync(int port, CancellationToken cancellationToken)
        {
            var start = new ProcessStartInfo(node)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(cli)!,
            };
            foreach (var argument in new[] { cli, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--createTableMs", "50", "--deleteTableMs", "50", "--updateTableMs", "50" })
            {
                start.ArgumentList.Add(argument);
            }

            if (dataDirectory is not null)
            {
                start.ArgumentList.Add("--path");
                start.ArgumentList.Add(dataDirectory);
            }

            _output.Clear();
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            process.OutputDataReceived += (_, e) => Collect(e.Data, ready);
            process.ErrorDataReceived += (_, e) => Collect(e.Data, ready: null);
            process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException(
                $"dynalite exited before listening on port {port}: {string.Join(" | ", _output)}"));

            process.Start();
            _process = process;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            try
            {
                // dynalite prints its line from the listen callback: the port accepts connections once it is seen.
                await ready.Task.WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await StopAsync().ConfigureAwait(false);
                throw;
            }
        }

        private void Collect(string? line, TaskCompletionSource? ready)
        {
            if (line is null)
            {
                return;
            }

            _output.Enqueue(line);
            while (_output.Count > 20 && _output.TryDequeue(out _))
            {
            }

            if (ready is not null && line.Contains(ReadyLine, StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }
    }

    /// <summary>DynamoDB Local in a container, its port bound to a fixed host port so a restart keeps it.</summary>
    private sealed class ContainerBackend : IBackend
    {
        private const int ContainerPort = 8000;
        private readonly int _port = FreeLoopbackPort();
        private readonly IContainer _container;

        public ContainerBackend()
        {
            _container = new ContainerBuilder(ContainerImage)
                .WithPortBinding(_port, ContainerPort)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilInternalTcpPortIsAvailable(ContainerPort))
                .Build();
        }

        public Uri ServiceUrl => new($"http://127.0.0.1:{_port}/");

        public string Description => $"{ContainerImage} container at {ServiceUrl}";

        public Task StartAsync(CancellationToken cancellationToken) => _container.StartAsync(cancellationToken);

        public Task StopAsync() => _container.StopAsync();

        public void Kill()
        {
            // The Testcontainers resource reaper removes the container when the test process ends.
        }

        public ValueTask DisposeAsync() => _container.DisposeAsync();
    }
}
