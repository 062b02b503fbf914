using System.Globalization;
using System.Net;
using GenesysDedup.Testing;

namespace GenesysDedup.Reliability;

/// <summary>
/// The built HTTP host run as an operator runs it — <c>dotnet GenesysDedup.Hosts.Http.dll --urls
/// http://127.0.0.1:PORT</c> — with the <c>http</c> handler pointing at the counting downstream and a short lease.
/// <see cref="KillAsync"/> is a kill -9 (by process id); <see cref="StartAsync"/> brings it back on the same port and
/// waits until <c>/health/ready</c> answers 200.
/// </summary>
internal sealed class HostUnderTest : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly LocalServerProcess _process;
    private readonly Uri _baseUrl;

    /// <param name="settings">More environment for this host: configuration keys, or libfaketime's variables.</param>
    public HostUnderTest(string hostDll, StoreUnderTest store, Uri downstream, TimeSpan lease, TimeSpan? handlerTimeout = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var port = LoopbackPort.GetFree();
        _baseUrl = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        var environment = new Dictionary<string, string?>(store.HostEnvironment)
        {
            // Only --urls decides where it listens.
            ["ASPNETCORE_URLS"] = null,
            ["ASPNETCORE_HTTP_PORTS"] = null,
            ["ASPNETCORE_HTTPS_PORTS"] = null,
            ["DOTNET_URLS"] = null,
            ["Dedup__Lease"] = lease.ToString("c", CultureInfo.InvariantCulture),
            ["Handler__Kind"] = "http",
            ["Handler__Http__Url"] = downstream.AbsoluteUri,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        if (handlerTimeout is { } timeout)
        {
            environment["Handler__Http__Timeout"] = timeout.ToString("c", CultureInfo.InvariantCulture);
        }

        _process = new LocalServerProcess("dotnet", [hostDll, "--urls", _baseUrl.AbsoluteUri.TrimEnd('/'), "--contentRoot", Path.GetDirectoryName(hostDll)!], environment);
    }

    public Uri EventsUrl => new(_baseUrl, "events");

    public Uri MetricsUrl => new(_baseUrl, "metrics");

    /// <summary>The host's clock as its <c>Date</c> response header shows it (whole seconds).</summary>
    public async Task<DateTimeOffset?> ClockAsync(CancellationToken cancellationToken)
    {
        using var response = await Probe.GetAsync(new Uri(_baseUrl, "health/live"), cancellationToken);
        return response.Headers.Date;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _process.Start();
        await LoopbackPort.WaitUntilAsync(
            async ct =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"the host exited during start: {_process.Describe()}");
                }

                try
                {
                    using var response = await Probe.GetAsync(new Uri(_baseUrl, "health/ready"), ct);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            },
            ReadyTimeout,
            () => $"the host at {_baseUrl} was not ready: {_process.Describe()}",
            cancellationToken);
    }

    /// <summary>SIGKILL (Process.Kill) by process id; returns when the process is gone.</summary>
    public Task KillAsync() => _process.StopAsync();

    public string Describe() => _process.Describe();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
