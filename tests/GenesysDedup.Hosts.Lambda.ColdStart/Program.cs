using System.Diagnostics;
using System.Globalization;
using GenesysDedup.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GenesysDedup.Hosts.Lambda.ColdStart;

/// <summary>
/// Starts each given <c>bootstrap</c> <c>--runs</c> times (interleaved, so both see the same machine) against a fresh
/// <see cref="FakeLambdaRuntime"/>, and reports: process start → its first <c>GET …/invocation/next</c> (init), and
/// the first and second invocations' latency (handed over on <c>next</c> → result posted). Prints a Markdown table.
/// With <c>--otlp</c> each build is also started with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> pointing at a loopback
/// OTLP/HTTP sink (it answers every export 200), as build <c>NAME+otlp</c>.
/// <code>
/// dotnet run -c Release --project tests/GenesysDedup.Hosts.Lambda.ColdStart -- \
///   --build aot=path/to/publish/bootstrap --build jit=path/to/bin/Release/net10.0/bootstrap [--runs 20] [--store memory|dynamodb] [--otlp]
/// </code>
/// </summary>
internal static class Program
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static async Task<int> Main(string[] args)
    {
        var builds = new List<(string Name, string Path)>();
        var runs = 20;
        var store = "memory";
        var otlp = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--build" when i + 1 < args.Length && args[i + 1].Split('=', 2) is [var name, var path]:
                    builds.Add((name, Path.GetFullPath(path)));
                    i++;
                    break;
                case "--runs" when i + 1 < args.Length:
                    runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--store" when i + 1 < args.Length:
                    store = args[++i];
                    break;
                case "--otlp":
                    otlp = true;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"unknown argument {args[i]}; usage: --build NAME=PATH [--build NAME=PATH] [--runs N] [--store memory|dynamodb] [--otlp]");
                    return 2;
            }
        }

        if (builds.Count == 0)
        {
            await Console.Error.WriteLineAsync("give at least one --build NAME=PATH");
            return 2;
        }

        foreach (var (_, path) in builds.Where(b => !File.Exists(b.Path)))
        {
            await Console.Error.WriteLineAsync($"{path} does not exist");
            return 2;
        }

        var environment = await EnvironmentForAsync(store, builds[0].Path);
        var sink = otlp ? await OtlpSink.StartAsync() : null;
        var variants = builds.Select(b => (b.Name, b.Path, Environment: environment)).ToList();
        if (sink is not null)
        {
            var withEndpoint = new Dictionary<string, string?>(environment)
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.Address.AbsoluteUri.TrimEnd('/'),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            };
            variants.AddRange(builds.Select(b => (b.Name + "+otlp", b.Path, (IReadOnlyDictionary<string, string?>)withEndpoint)));
        }

        var samples = variants.ToDictionary(b => b.Name, _ => new List<Sample>());
        for (var run = 0; run < runs; run++)
        {
            foreach (var (name, path, variables) in variants)
            {
                samples[name].Add(await MeasureAsync(path, variables));
            }
        }

        if (sink is not null)
        {
            await sink.DisposeAsync();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Lambda cold start, {runs} starts per build, interleaved; Dedup:Store={store}, Handler:Kind=log; {Environment.ProcessorCount} cores; load average at the end: {LoadAverage()}"));
        if (sink is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"OTLP sink: {sink.Exports} exports received (traces, metrics, logs)"));
        }
        Console.WriteLine();
        Console.WriteLine("| build | process start → first `next`: median (min–max) | first invocation: median (min–max) | second invocation: median |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, _, _) in variants)
        {
            var s = samples[name];
            Console.WriteLine($"| {name} | {Summary(s.Select(x => x.Init))} | {Summary(s.Select(x => x.First))} | {Ms(Median(s.Select(x => x.Second)))} |");
        }

        if (builds.Count == 2)
        {
            var ratio = Median(samples[builds[1].Name].Select(x => x.Init)) / Median(samples[builds[0].Name].Select(x => x.Init));
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{builds[1].Name} / {builds[0].Name} (median process start → first next): {ratio:F1}×"));
        }

        return 0;
    }

    private static async Task<Sample> MeasureAsync(string bootstrap, IReadOnlyDictionary<string, string?> environment)
    {
        await using var runtime = await FakeLambdaRuntime.StartAsync();
        var started = Stopwatch.GetTimestamp();
        await using var host = LambdaBootstrapProcess.Start(bootstrap, runtime, environment);
        long polled;
        try
        {
            polled = await runtime.PollAsync(1).WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{bootstrap} did not ask for an invocation within {Bound}. Output:\n{host.Output}");
        }

        var first = await runtime.ReplyAsync(runtime.Enqueue(EventBuilder.UniqueGenesysEvent()), Bound);
        var second = await runtime.ReplyAsync(runtime.Enqueue(EventBuilder.UniqueGenesysEvent()), Bound);
        if (first.Kind != RuntimeReplyKind.Response || second.Kind != RuntimeReplyKind.Response)
        {
            throw new InvalidOperationException($"an invocation failed: {first.Text} / {second.Text}. Output:\n{host.Output}");
        }

        host.Terminate();
        var exitCode = await host.WaitForExitAsync(Bound);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{bootstrap} exited {exitCode} after SIGTERM. Output:\n{host.Output}");
        }

        return new Sample(Stopwatch.GetElapsedTime(started, polled).TotalMilliseconds, first.Latency!.Value.TotalMilliseconds, second.Latency!.Value.TotalMilliseconds);
    }

    private static async Task<IReadOnlyDictionary<string, string?>> EnvironmentForAsync(string store, string anyBootstrap)
    {
        var environment = new Dictionary<string, string?> { ["Handler__Kind"] = "log", ["Dedup__Store"] = store };
        switch (store)
        {
            case "memory":
                return environment;
            case "dynamodb":
                // As deployed: the table exists (created once here, not measured); init checks it answers.
                var server = await DynaliteServer.StartDedicatedAsync();
                environment["Dedup__DynamoDb__ServiceUrl"] = server.ServiceUrl.AbsoluteUri;
                environment["Dedup__DynamoDb__TableName"] = "EventDeduplication";
                var setup = new Dictionary<string, string?>(environment) { ["Dedup__DynamoDb__CreateTable"] = "true" };
                await using (var runtime = await FakeLambdaRuntime.StartAsync())
                await using (var host = LambdaBootstrapProcess.Start(anyBootstrap, runtime, setup))
                {
                    await runtime.PollAsync(1).WaitAsync(Bound);
                }

                return environment;
            default:
                throw new ArgumentException($"--store {store}: expected memory or dynamodb");
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Summary(IEnumerable<double> values)
    {
        var list = values.ToList();
        return $"{Ms(Median(list))} ({Ms(list.Min())}–{Ms(list.Max())})";
    }

    private static string Ms(double milliseconds) => milliseconds.ToString(milliseconds < 10 ? "F1" : "F0", CultureInfo.InvariantCulture) + " ms";

    private readonly record struct Sample(double Init, double First, double Second);

    /// <summary>An OTLP/HTTP endpoint that accepts every export (what a collector does), counting them.</summary>
    private sealed class OtlpSink : IAsyncDisposable
    {
        private WebApplication? _app;
        private int _exports;

        public Uri Address { get; private set; } = null!;

        public int Exports => Volatile.Read(ref _exports);

        public static async Task<OtlpSink> StartAsync()
        {
            var sink = new OtlpSink();
            (sink._app, sink.Address) = await LoopbackWebApp.StartAsync(app => app.MapPost("/v1/{signal}", () =>
            {
                Interlocked.Increment(ref sink._exports);
                return Results.Ok();
            }));
            return sink;
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is { } app)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
    }
}
