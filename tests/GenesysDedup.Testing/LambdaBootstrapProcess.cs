using System.Diagnostics;

namespace GenesysDedup.Testing;

/// <summary>
/// Runs a Lambda custom runtime (<c>bootstrap</c>) as a real child process against a <see cref="FakeLambdaRuntime"/>:
/// either the JIT build (<c>dotnet bootstrap.dll</c>) or a native executable (the Native AOT publish). Its output is
/// captured for failure messages; <see cref="Terminate"/> sends SIGTERM; disposing kills it (by its process id) if it
/// is still running.
/// </summary>
public sealed class LambdaBootstrapProcess : IAsyncDisposable
{
    private static readonly string[] InheritedPrefixes = ["Dedup__", "Handler__", "Http__", "Logging__", "AWS_", "DEDUP_", "_X_AMZN_TRACE_ID", "OTEL_"];

    private readonly Process _process;
    private readonly WatchedLines _output = new();

    private LambdaBootstrapProcess(Process process) => _process = process;

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output => _output.Text;

    /// <summary>
    /// Starts <paramref name="bootstrap"/> (a <c>.dll</c> runs under <c>dotnet</c>; anything else is executed directly)
    /// with <c>AWS_LAMBDA_RUNTIME_API</c> pointing at <paramref name="runtime"/> and the given environment on top of a
    /// clean slate (no Dedup/Handler/AWS variables inherited from the test runner).
    /// </summary>
    public static LambdaBootstrapProcess Start(string bootstrap, FakeLambdaRuntime runtime, IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        ArgumentNullException.ThrowIfNull(runtime);
        var isDll = bootstrap.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(isDll ? "dotnet" : bootstrap)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(bootstrap)!,
        };
        if (isDll)
        {
            start.ArgumentList.Add(bootstrap);
        }

        foreach (var name in start.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["AWS_LAMBDA_RUNTIME_API"] = runtime.RuntimeApi;
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new LambdaBootstrapProcess(process);
        process.OutputDataReceived += (_, e) => host._output.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host._output.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>
    /// Completes when the process has written a line containing <paramref name="text"/> (at once if it already has);
    /// fails with the output after <paramref name="within"/>.
    /// </summary>
    public async Task WaitForOutputAsync(string text, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(30);
        if (!await _output.WaitForAsync(text, limit).ConfigureAwait(false))
        {
            throw new TimeoutException($"bootstrap wrote no line containing '{text}' within {limit.TotalSeconds:F0} s. Output:\n{Output}");
        }
    }

    /// <summary>Sends SIGTERM, as Lambda does when it shuts the execution environment down.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            PosixSignal.Send(_process.Id, PosixSignal.Terminate);
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code; fails with its output after <paramref name="within"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(30);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"bootstrap did not exit within {limit.TotalSeconds:F0} s. Output:\n{Output}");
        }

        // The asynchronous readers finish after the process does; this waits for them to drain.
        await _process.WaitForExitAsync().ConfigureAwait(false);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // it exited meanwhile
        }
        finally
        {
            _process.Dispose();
        }
    }
}
