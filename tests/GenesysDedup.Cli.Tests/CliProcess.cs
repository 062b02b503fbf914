using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using GenesysDedup.Testing;

namespace GenesysDedup.Cli.Tests;

/// <summary>
/// <c>genesys-dedup</c> as an operator runs it: the built tool (<c>dotnet genesys-dedup.dll</c>) as a real process in a
/// working directory of the test's own, with the environment given on a clean slate (nothing of the test runner's
/// <c>Dedup__*</c>, <c>Handler__*</c> or AWS variables). Its stdout and stderr are kept apart; <see cref="Interrupt"/>
/// sends a real SIGINT; disposing kills it (by its process id) if it still runs.
/// </summary>
internal sealed partial class CliProcess : IAsyncDisposable
{
    private const int SigInt = 2;
    private const nint SigDfl = 0;
    private const nint SigIgn = 1;

    private static readonly string[] NotInherited = ["Dedup__", "Handler__", "Http__", "Logging__", "AWS_", "DEDUP_"];

    private static readonly string Dll = Path.Combine(
        typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CliDirectory").Value!,
        "genesys-dedup.dll");

    private readonly Process _process;
    private readonly WatchedLines _output = new();
    private readonly WatchedLines _error = new();

    private CliProcess(Process process) => _process = process;

    static CliProcess()
    {
        // A test run started in the background (`dotnet test &`, some CI runners) inherits SIGINT ignored; a child
        // inherits that too, and .NET then leaves Ctrl-C ignored in the tool. Give the tool the default disposition
        // an operator's terminal gives it. (sa_handler is the first field of struct sigaction on Linux.)
        Span<byte> action = stackalloc byte[512];
        if (SigAction(SigInt, IntPtr.Zero, ref MemoryMarshal.GetReference(action)) == 0 && BitConverter.ToInt64(action) == SigIgn)
        {
            Signal(SigInt, SigDfl);
        }
    }

    /// <summary>Starts the tool with <paramref name="args"/>; <paramref name="stdin"/> is written to it and closed.</summary>
    public static CliProcess Start(string workingDirectory, IReadOnlyDictionary<string, string?> environment, IEnumerable<string> args, string? stdin = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.Where(k => NotInherited.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => cli._output.Append(e.Data);
        process.ErrorDataReceived += (_, e) => cli._error.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        return cli;
    }

    /// <summary>Runs the tool to its end.</summary>
    public static async Task<CliResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?> environment, IEnumerable<string> args, string? stdin = null)
    {
        await using var cli = Start(workingDirectory, environment, args, stdin);
        return await cli.WaitForExitAsync();
    }

    /// <summary>Completes when stderr has a line containing <paramref name="text"/>; fails with the output after <paramref name="within"/>.</summary>
    public async Task WaitForErrorLineAsync(string text, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromMinutes(2);
        if (!await _error.WaitForAsync(text, limit))
        {
            throw new TimeoutException($"genesys-dedup wrote no line containing '{text}' to stderr within {limit.TotalSeconds:F0} s.\n{Snapshot()}");
        }
    }

    /// <summary>Sends SIGINT, as Ctrl-C in a terminal does.</summary>
    public void Interrupt()
    {
        if (Kill(_process.Id, SigInt) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGINT) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async Task<CliResult> WaitForExitAsync(TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromMinutes(5);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"genesys-dedup did not exit within {limit.TotalSeconds:F0} s.\n{Snapshot()}");
        }

        // The asynchronous readers finish after the process does; this waits for them to drain.
        await _process.WaitForExitAsync();
        return new CliResult(_process.ExitCode, _output.Text, _error.Text);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
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

    private string Snapshot() => $"stdout:\n{_output.Text}\nstderr:\n{_error.Text}";

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "sigaction")]
    private static partial int SigAction(int signal, IntPtr action, ref byte oldAction);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint Signal(int signal, nint handler);
}

/// <summary>How a run ended: its exit code, stdout and stderr.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    /// <summary>stdout as one JSON document (<c>--json</c>).</summary>
    public JsonElement Json
    {
        get
        {
            try
            {
                using var document = JsonDocument.Parse(Output);
                return document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new InvalidOperationException($"stdout is not one JSON document ({ex.Message}).\n{this}", ex);
            }
        }
    }

    /// <summary>The count of <paramref name="outcome"/> in a <c>replay --json</c> report.</summary>
    public int Count(string outcome) => Json.GetProperty("outcomes").GetProperty(outcome).GetInt32();

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}
