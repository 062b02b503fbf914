using System.Diagnostics;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>The built HTTP host as a real process on real Kestrel (TestServer applies no Kestrel limits).</summary>
internal sealed class RunningHost : IAsyncDisposable
{
    private readonly Process _process;

    private RunningHost(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public static async Task<RunningHost> StartAsync()
    {
        var port = LoopbackPort.GetFree();
        var process = Process.Start(HostProcess.StartInfo("--urls", $"http://127.0.0.1:{port}"))!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new RunningHost(process, port);
        using var probe = new HttpClient { BaseAddress = host.BaseAddress };
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

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
