using System.Diagnostics;
using System.Globalization;

namespace GenesysDedup.Testing;

/// <summary>
/// <c>redis-cli</c> run as a child process against a node of the fixtures (<see cref="RedisCluster"/>,
/// <see cref="RedisSentinel"/>): what it printed, or an <see cref="IOException"/> on a non-zero exit, which
/// <see cref="LoopbackPort.WaitUntilAsync"/> takes as "not yet".
/// </summary>
public static class RedisCli
{
    private static readonly Lazy<string> Path = new(() => LocalServerProcess.FindOnPath("redis-cli")
        ?? throw new InvalidOperationException("The Redis fixtures need redis-cli on PATH (Debian/Ubuntu: sudo apt-get install -y redis-server)."));

    /// <summary>Runs <c>redis-cli -p PORT ARGS…</c>.</summary>
    public static Task<string> AtAsync(int port, params string[] arguments) => RunAsync(["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. arguments]);

    /// <summary>Runs <c>redis-cli ARGS…</c>.</summary>
    public static async Task<string> RunAsync(IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(Path.Value) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("redis-cli did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new IOException($"redis-cli {string.Join(' ', startInfo.ArgumentList)} exited {process.ExitCode}: {await output}{await error}");
        }

        return await output;
    }

    /// <summary>
    /// Waits until <paramref name="process"/>, a <c>redis-server</c> just started, answers on <paramref name="port"/>:
    /// our own process, not another server that held the port first.
    /// </summary>
    public static Task WaitUntilServedByAsync(int port, LocalServerProcess process, TimeSpan timeout) =>
        LoopbackPort.WaitUntilAsync(
            async _ => process.ProcessId is not { } pid
                ? throw new InvalidOperationException($"redis-server exited during start: {process.Describe()}")
                : (await AtAsync(port, "INFO", "server")).Contains($"process_id:{pid}\r", StringComparison.Ordinal),
            timeout,
            () => $"node 127.0.0.1:{port} did not answer as process {process.ProcessId}. {process.Describe()}");

    /// <summary>
    /// Whether the replica on <paramref name="replicaPort"/> is in sync with the primary on <paramref name="primaryPort"/>
    /// as both see it: the replica's link is up and the primary lists it <c>state=online</c>. The replica reports its
    /// link up before the primary takes it online (after a diskless sync the primary waits for the replica's first
    /// acknowledgement), and until then <c>WAIT</c> does not count it.
    /// </summary>
    public static async Task<bool> InSyncAsync(int primaryPort, int replicaPort)
    {
        if (InfoField(await AtAsync(replicaPort, "INFO", "replication"), "master_link_status") != "up")
        {
            return false;
        }

        var onPrimary = (await AtAsync(primaryPort, "INFO", "replication")).Split('\n', StringSplitOptions.TrimEntries);
        return onPrimary.Any(l => l.StartsWith("slave", StringComparison.Ordinal)
            && l.Contains(string.Create(CultureInfo.InvariantCulture, $",port={replicaPort},state=online,"), StringComparison.Ordinal));
    }

    /// <summary>The value of <paramref name="field"/> in an <c>INFO</c> answer (<c>field:value</c> lines), or null.</summary>
    public static string? InfoField(string info, string field) =>
        info.Split('\n', StringSplitOptions.TrimEntries).FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal))?[(field.Length + 1)..];
}
