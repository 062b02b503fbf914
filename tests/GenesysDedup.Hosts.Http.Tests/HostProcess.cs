using System.Diagnostics;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// Runs the built HTTP host as its own process, as an operator would, for start-up failures: an in-process
/// WebApplicationFactory sometimes reports a host that failed to start as a disposed service provider instead of
/// the real error, so the real process and its output are the honest check.
/// </summary>
internal static class HostProcess
{
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(60);

    /// <summary>How to start the built host with <paramref name="args"/>: output redirected, no URLs or ports
    /// inherited from the test runner's environment, and a sqlite file of its own (<see cref="DatabaseVariable"/>), so
    /// no run finds an earlier run's keys.</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GenesysDedup.Hosts.Http.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" })
        {
            start.Environment.Remove(name);
        }

        start.Environment[DatabaseVariable] = Path.Combine(Directory.CreateDirectory(Databases).FullName, $"host-{Guid.NewGuid():N}.db");
        return start;
    }

    /// <summary>The environment variable that gives the host its sqlite file.</summary>
    public const string DatabaseVariable = "Dedup__Sqlite__Path";

    private static readonly string Databases = Path.Combine(Path.GetTempPath(), "genesys-dedup-tests", "hosts");

    /// <summary>Deletes the sqlite file <see cref="StartInfo"/> gave the host (not one a test chose), with its WAL and
    /// shared-memory files.</summary>
    public static void DeleteDatabase(ProcessStartInfo start)
    {
        if (start.Environment.TryGetValue(DatabaseVariable, out var path) && path is not null && Path.GetDirectoryName(path) == Databases)
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    public static async Task<(int ExitCode, string Output)> RunExpectingExitAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = StartInfo(args);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(ExitDeadline);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the host did not exit within {ExitDeadline} (it started when it should have refused)");
        }

        DeleteDatabase(start);
        return (process.ExitCode, await stdout + await stderr);
    }
}
