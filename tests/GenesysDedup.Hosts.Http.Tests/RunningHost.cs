using System.Collections.Concurrent;
using System.Diagnostics;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>The built HTTP host as a real process on real Kestrel (TestServer applies no Kestrel limits).</summary>
internal sealed class RunningHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessStartInfo _start;
    private readonly DirectoryInfo? _directory;
    private readonly ConcurrentQueue<string> _output = new();

    private RunningHost(Process process, ProcessStartInfo start, int port, DirectoryInfo? directory, string scheme)
    {
        _process = process;
        _start = start;
        Port = port;
        _directory = directory;
        BaseAddress = new Uri($"{scheme}://127.0.0.1:{port}/");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    /// <summary>Every line the host has written to stdout and stderr so far.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>Starts the host with <paramref name="environment"/> added to its environment; from its own folder, or
    /// with <paramref name="freshDirectory"/> from an empty one (no earlier run's files, no appsettings.json beside it)
    /// that goes when the host is disposed, or from <paramref name="workingDirectory"/>, which stays. From either of
    /// those the host keeps its keys in the default sqlite file there. With <paramref name="https"/> it listens for
    /// HTTPS only (the environment names its certificate), and the readiness probe accepts whatever certificate it serves.</summary>
    public static async Task<RunningHost> StartAsync(IReadOnlyDictionary<string, string>? environment = null, bool freshDirectory = false, string? workingDirectory = null, bool https = false)
    {
        var port = LoopbackPort.GetFree();
        var scheme = https ? "https" : "http";
        var start = HostProcess.StartInfo("--urls", $"{scheme}://127.0.0.1:{port}");
        var directory = freshDirectory ? Directory.CreateTempSubdirectory("genesys-dedup-host-") : null;
        if ((directory?.FullName ?? workingDirectory) is { } chosen)
        {
            start.WorkingDirectory = chosen;
            start.Environment.Remove(HostProcess.DatabaseVariable);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        var host = new RunningHost(process, start, port, directory, scheme);
        process.OutputDataReceived += (_, line) => host.Collect(line.Data);
        process.ErrorDataReceived += (_, line) => host.Collect(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probeHandler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = static (_, served, _, _) => served is not null } };
        using var probe = new HttpClient(probeHandler) { BaseAddress = host.BaseAddress };
        await LoopbackPort.WaitUntilAsync(
            async ct =>
            {
                try
                {
                    return (await probe.GetAsync(new Uri("health/live", UriKind.Relative), ct)).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            () => $"the host on port {port} to answer /health/live");
        return host;
    }

    /// <summary>
    /// Waits until a line containing <paramref name="text"/> has been written (the console logger writes on its own
    /// thread), then returns the whole output so far.
    /// </summary>
    public async Task<string> WaitForOutputAsync(string text)
    {
        await LoopbackPort.WaitUntilAsync(
            _ => Task.FromResult(_output.Any(line => line.Contains(text, StringComparison.Ordinal))),
            TimeSpan.FromSeconds(30),
            () => $"the host to write a line containing '{text}'. Output:\n{string.Join('\n', _output)}");
        return string.Join('\n', _output);
    }

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _directory?.Delete(recursive: true);
        HostProcess.DeleteDatabase(_start);
    }
}
