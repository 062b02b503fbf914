using System.Collections.Concurrent;
using System.Diagnostics;

namespace GenesysDedup.Testing;

/// <summary>
/// A server the tests run as a child process: started with fixed arguments, stopped by killing its process id (never
/// by name), startable again with the same arguments (so on the same port). Killed when disposed and when the test
/// process exits. Keeps the last lines it printed to explain a failed start.
/// </summary>
public sealed class LocalServerProcess : IAsyncDisposable
{
    private const int KeptLines = 40;

    private readonly ProcessStartInfo _startInfo;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Lock _gate = new();
    private Process? _process;
    private bool _disposed;

    /// <param name="fileName">The executable.</param>
    /// <param name="arguments">Its arguments, the same at every start.</param>
    /// <param name="environment">Variables to set for the process (a null value removes one it would inherit).</param>
    public LocalServerProcess(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        _startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            _startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                _startInfo.Environment.Remove(name);
            }
            else
            {
                _startInfo.Environment[name] = value;
            }
        }

        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>The id of the running process, or null when stopped.</summary>
    public int? ProcessId
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false } p ? p.Id : null;
            }
        }
    }

    /// <summary>Whether the process was started and has exited on its own or been stopped.</summary>
    public bool HasExited
    {
        get
        {
            lock (_gate)
            {
                return _process is null || _process.HasExited;
            }
        }
    }

    /// <summary>The command line and the last lines the process printed, for failure messages.</summary>
    public string Describe() =>
        $"{_startInfo.FileName} {string.Join(' ', _startInfo.ArgumentList.Select(a => a.Length == 0 ? "\"\"" : a))}"
        + (HasExited ? " (not running)" : string.Empty)
        + Environment.NewLine + string.Join(Environment.NewLine, _output);

    /// <summary>Looks <paramref name="executable"/> up on PATH; null when it is not there.</summary>
    public static string? FindOnPath(string executable)
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Starts the process (again, after <see cref="StopAsync"/>), with the arguments it was created with.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_process is { HasExited: false })
            {
                throw new InvalidOperationException($"Already running as process {_process.Id}.");
            }

            _process?.Dispose();
            _output.Clear();
            var process = new Process { StartInfo = _startInfo, EnableRaisingEvents = true };
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            if (!process.Start())
            {
                process.Dispose();
                throw new InvalidOperationException($"Could not start {_startInfo.FileName}.");
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
        }
    }

    /// <summary>Kills the process by its id and waits until it has exited.</summary>
    public async Task StopAsync()
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
        }

        if (process is null)
        {
            return;
        }

        Kill(process);
        await process.WaitForExitAsync();
    }

    /// <summary>
    /// Freezes the process (SIGSTOP): it runs nothing and answers nothing, while the kernel keeps its sockets open and
    /// buffers what arrives on them, until <see cref="Thaw"/>. A kill still ends it.
    /// </summary>
    public void Freeze() => PosixSignal.Send(ProcessId ?? throw new InvalidOperationException("Not running."), PosixSignal.Stop);

    /// <summary>Lets a frozen process run again (SIGCONT).</summary>
    public void Thaw() => PosixSignal.Send(ProcessId ?? throw new InvalidOperationException("Not running."), PosixSignal.Continue);

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        await StopAsync();
        lock (_gate)
        {
            _disposed = true;
            _process?.Dispose();
            _process = null;
        }
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        lock (_gate)
        {
            if (_process is { } process)
            {
                // The test runner kills its test host soon after the run; walking the process tree for each of a
                // cluster's or Sentinel set's servers took long enough that some of them outlived it.
                Kill(process, entireProcessTree: false);
            }
        }
    }

    private static void Kill(Process process, bool entireProcessTree = true)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree);
            }
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }
}
