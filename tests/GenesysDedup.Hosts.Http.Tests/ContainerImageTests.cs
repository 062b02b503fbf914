using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// hosts/GenesysDedup.Hosts.Http/Dockerfile, run as its image would run, without a container engine (none runs on the
/// build machines): the Dockerfile's own publish command, its entry point started from its working directory with
/// only its environment, as its unprivileged user, with nothing writable but the data volume. The host answers
/// /health/ready, the image's HEALTHCHECK command passes against it (and fails once it is gone), and an event is kept
/// on the volume.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed partial class ContainerImageTests
{
    /// <summary>The uid of the user <c>app</c> in .NET's runtime-deps images.</summary>
    private const string AppUid = "1654";

    private static readonly string Root = RepositoryRoot.Find();

    [Fact]
    public async Task Publish_RunAsTheImageRunsIt_IsReadyAndHealthy_WritingOnlyTheVolume()
    {
        var dockerfile = Dockerfile.Parse(await File.ReadAllTextAsync(Path.Combine(Root, "hosts", "GenesysDedup.Hosts.Http", "Dockerfile")));
        Assert.Equal("app", dockerfile.User); // runs as AppUid below
        using var scratch = new TempDirectory();
        var app = scratch.File("app");
        var data = scratch.File("data");
        // Container paths, mapped onto this machine: the image's app folder and its one volume.
        string Map(string path) => path.Replace("/app", app, StringComparison.Ordinal).Replace("/data", data, StringComparison.Ordinal);

        await PublishAsync(dockerfile.PublishArguments.Select(Map), scratch.File("artifacts"));
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)0b111_111_111); // the volume: the app user may write here, and nowhere else
        var before = Snapshot(app);
        var port = LoopbackPort.GetFree();
        var environment = dockerfile.Environment.ToDictionary(e => e.Key, e => Map(e.Value));
        environment["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Http__ApiKey"] = "container-test-key"; // docker run -e, as docs/deploy.md shows: it listens beyond loopback
        var healthCheck = dockerfile.HealthCheck.Select(a => a.Replace("/8080", $"/{port}", StringComparison.Ordinal)).ToList();

        using (var host = Start(Map(dockerfile.EntryPoint), Map(dockerfile.WorkingDirectory), environment, readOnly: app))
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            await LoopbackPort.WaitUntilAsync(
                async ct =>
                {
                    try
                    {
                        return (await client.GetAsync(new Uri("health/ready", UriKind.Relative), ct)).StatusCode == HttpStatusCode.OK;
                    }
                    catch (HttpRequestException)
                    {
                        return !host.HasExited ? false : throw new InvalidOperationException($"the published host exited. Output:\n{host.Output}");
                    }
                },
                TimeSpan.FromSeconds(60),
                () => $"the published host to answer /health/ready 200 (exited: {host.HasExited}). Output:\n{host.Output}");
            using var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new ByteArrayContent(EventBuilder.UniqueGenesysEvent()) };
            request.Headers.Add("x-api-key", "container-test-key");
            var outcome = await (await client.SendAsync(request)).OutcomeAsync();

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("health/live", UriKind.Relative))).StatusCode);
            Assert.Equal(0, await RunAsync(healthCheck));
            Assert.Equal("processed", outcome);
            Assert.True(File.Exists(environment["Dedup__Sqlite__Path"]), "the sqlite file is on the volume");
        }

        Assert.NotEqual(0, await RunAsync(healthCheck)); // the same check, with no host: it can fail
        Assert.Equal(before, Snapshot(app));
    }

    private static async Task PublishAsync(IEnumerable<string> arguments, string artifacts)
    {
        var architecture = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "amd64";
        // Its own artifacts folder: the image builds from a clean copy, and this must not touch the tests' build output.
        var command = arguments.Select(a => a.Replace("$TARGETARCH", architecture, StringComparison.Ordinal)).Append("--artifacts-path").Append(artifacts).ToList();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        command.ForEach(start.ArgumentList.Add);
        using var publish = Process.Start(start)!;
        var output = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        try
        {
            // A clean Release build of every project: minutes on a loaded 2-core machine.
            await publish.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(30));
        }
        catch (TimeoutException)
        {
            publish.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(publish.ExitCode == 0, $"dotnet {string.Join(' ', command)} failed:\n{await output}\n{await errors}");
    }

    private static RunningProcess Start(string entryPoint, string workingDirectory, Dictionary<string, string> environment, string readOnly)
    {
        // USER app: as root here, the same uid without root's right to write anywhere; otherwise this user already is.
        var asApp = Environment.UserName == "root";
        var start = new ProcessStartInfo(asApp ? "setpriv" : entryPoint) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        if (asApp)
        {
            foreach (var argument in new[] { $"--reuid={AppUid}", $"--regid={AppUid}", "--clear-groups", "--", entryPoint })
            {
                start.ArgumentList.Add(argument);
            }
        }

        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        // Neither home nor temporary folder can be written, as on a read-only root filesystem.
        start.Environment["HOME"] = readOnly;
        start.Environment["TMPDIR"] = readOnly;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new RunningProcess(Process.Start(start)!);
    }

    private static async Task<int> RunAsync(List<string> command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return process.ExitCode;
    }

    /// <summary>Every file under <paramref name="folder"/> with its size and last write.</summary>
    private static string Snapshot(string folder) => string.Join('\n', new DirectoryInfo(folder)
        .EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
        .Select(f => $"{Path.GetRelativePath(folder, f.FullName)} {(f as FileInfo)?.Length} {f.LastWriteTimeUtc:O}")
        .Order(StringComparer.Ordinal));

    /// <summary>What the test reads from the Dockerfile: the publish command, and the final stage's settings.</summary>
    private sealed partial record Dockerfile(string[] PublishArguments, Dictionary<string, string> Environment, string WorkingDirectory, string[] HealthCheck, string EntryPoint, string User)
    {
        public static Dockerfile Parse(string text)
        {
            var lines = text.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n').Where(l => !l.StartsWith('#')).ToList();
            var final = lines.Skip(lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToList();
            string Instruction(IEnumerable<string> from, string name) => from.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

            var publish = lines.Single(l => l.StartsWith("RUN dotnet publish ", StringComparison.Ordinal))["RUN dotnet ".Length..];
            var environment = EnvironmentPair().Matches(Instruction(final, "ENV")).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            var healthCheck = JsonSerializer.Deserialize<string[]>(Instruction(final, "HEALTHCHECK")[Instruction(final, "HEALTHCHECK").IndexOf('[', StringComparison.Ordinal)..])!;
            var entryPoint = JsonSerializer.Deserialize<string[]>(Instruction(final, "ENTRYPOINT"))!;
            return new Dockerfile(publish.Split(' ', StringSplitOptions.RemoveEmptyEntries), environment, Instruction(final, "WORKDIR"), healthCheck, entryPoint.Single(), Instruction(final, "USER"));
        }

        [GeneratedRegex(@"(\w+)=(\S+)")]
        private static partial Regex EnvironmentPair();
    }

    /// <summary>A started process whose output is kept, killed when disposed.</summary>
    private sealed class RunningProcess : IDisposable
    {
        private readonly Process _process;
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public RunningProcess(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public bool HasExited => _process.HasExited;

        public string Output => string.Join('\n', _lines);

        private void Keep(string? line)
        {
            if (line is not null)
            {
                _lines.Enqueue(line);
            }
        }

        public void Dispose()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
