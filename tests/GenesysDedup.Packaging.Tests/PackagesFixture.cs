using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace GenesysDedup.Packaging.Tests;

/// <summary>
/// Packs the solution into a folder feed under a version no cache has seen, then builds the samples against that feed
/// like an application outside this repository would: a NuGet.config naming the feed beside the machine's sources,
/// and a packages folder of their own (with the machine's cache as a read-only fallback, so nothing is downloaded
/// twice and no stale GenesysDedup is ever used).
/// </summary>
public sealed class PackagesFixture : IAsyncLifetime
{
    public static readonly string Root = FindRoot();

    private static readonly string Configuration =
        typeof(PackagesFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    private readonly string _work = Directory.CreateTempSubdirectory("genesys-dedup-packaging-").FullName;

    public string Feed => Path.Combine(_work, "feed");

    public string Samples => Path.Combine(_work, "samples");

    /// <summary>The version every package was packed with.</summary>
    public string Version { get; } = "0.1.0-test.t" + Guid.NewGuid().ToString("N")[..12];

    public string PackOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var suffix = Version[(Version.IndexOf('-', StringComparison.Ordinal) + 1)..];
        PackOutput = await DotnetAsync(Root, "pack", Path.Combine(Root, "GenesysDedup.sln"), "-c", Configuration, "--no-build",
            "--no-restore", "-o", Feed, $"-p:VersionSuffix={suffix}");

        CopyDirectory(Path.Combine(Root, "samples"), Samples);
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(Samples, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="genesys-dedup-test-feed" value="{Feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine-cache" value="{cache}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        await DotnetAsync(Samples, "build", "Samples.slnx", "-c", "Release", $"-p:GenesysDedupVersion={Version}");
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_work, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Starts a built sample's assembly with its project folder as the content root.</summary>
    public Process StartSample(string name, params string[] args)
    {
        var folder = Path.Combine(Samples, name);
        var start = StartInfo(folder, [Path.Combine(folder, "bin", "Release", "net10.0", name + ".dll"), .. args]);
        start.RedirectStandardInput = true;
        return Process.Start(start)!;
    }

    /// <summary>Runs <paramref name="command"/> with <paramref name="stdin"/> as its input; returns its output once it exits.</summary>
    public static async Task<string> RunAsync(string command, string stdin, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        return await CollectAsync(process, command);
    }

    /// <summary>Runs a sample with <paramref name="stdin"/> as its input; returns its output once it exits.</summary>
    public async Task<string> RunSampleAsync(string name, string stdin)
    {
        using var process = StartSample(name);
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        return await CollectAsync(process, $"sample {name}");
    }

    /// <summary>
    /// Installs the genesys-dedup tool from the feed as a user does (<c>dotnet tool install</c>, into a tool path of its
    /// own) and returns the command's path.
    /// </summary>
    public async Task<string> InstallToolAsync()
    {
        var toolPath = Path.Combine(_work, "tools");
        using var install = Process.Start(StartInfo(_work, ["tool", "install", "GenesysDedup.Cli", "--version", Version, "--tool-path", toolPath, "--add-source", Feed]))!;
        await CollectAsync(install, "dotnet tool install");
        return Path.Combine(toolPath, "genesys-dedup");
    }

    /// <summary>Runs dotnet with the test's own packages folder; fails with its output when it exits non-zero.</summary>
    private async Task<string> DotnetAsync(string workingDirectory, params string[] args)
    {
        // No build servers: nothing this test starts outlives it.
        using var process = Process.Start(StartInfo(workingDirectory, [args[0], "--disable-build-servers", .. args[1..]]))!;
        return await CollectAsync(process, "dotnet " + string.Join(' ', args));
    }

    private ProcessStartInfo StartInfo(string workingDirectory, string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The test host runs under dotnet test: its MSBuild settings must not leak into these builds.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["NUGET_PACKAGES"] = Path.Combine(_work, "packages");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        return start;
    }

    /// <summary>
    /// How long one dotnet command may run. Packing Native AOT compiles the tool (3-4 minutes of CPU on a quiet machine,
    /// over 5 on 2 busy cores); kept under test.sh's 15-minute hang timeout so this message, not a dump, says what hung.
    /// </summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(12);

    private static async Task<string> CollectAsync(Process process, string what)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var hang = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(hang.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not exit within {CommandTimeout.TotalMinutes} minutes:\n{await stdout}\n{await stderr}");
        }

        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} exited with {process.ExitCode}:\n{output}");
        }

        return output;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GenesysDedup.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GenesysDedup.sln not found above " + AppContext.BaseDirectory);
    }
}
