using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using GenesysDedup.Hosting;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Stores.DynamoDb;
using GenesysDedup.Stores.Memory;
using Mediator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace GenesysDedup.Benchmarks.Workload;

/// <summary>
/// <c>workload --store memory|redis|dynamodb|sqlite [--endpoint …] [--synchronous normal|full] --events FILE.jsonl --concurrency N [--floor] [--telemetry off|metrics|on|export]</c>.
/// Composes the engine exactly as the hosts do (<c>AddGenesysDedupFromConfiguration</c>: <c>Dedup:Store</c> picks
/// <c>UseMemoryStore()</c>/<c>UseRedisStore()</c>/<c>UseDynamoDbStore()</c>/<c>UseSqliteStore()</c>, log handler, hosted services started)
/// with the store wrapped in a <see cref="CountingDedupStore"/>, replays the file through <c>ISender.Send(ProcessEvent)</c>
/// with N concurrent callers and prints one JSON line. Each run uses its own <c>Dedup:Namespace</c>, so runs against
/// one server never see each other's keys. <c>--floor</c> runs the bare store operation instead, through the same
/// client the store uses, as many times as the file has events: Redis <c>SET key v EX 86400 NX</c> on random keys,
/// DynamoDB a conditional <c>PutItem</c> (<c>attribute_not_exists</c>) on random keys, SQLite the bare
/// <c>INSERT … ON CONFLICT DO NOTHING</c> of a new key on a connection the store opens its own way (same file, WAL,
/// synchronous, busy timeout, schema), memory a claim of a new key (<c>--operations N</c> runs it N times instead).
/// SQLite runs on a fresh file in the temp folder, deleted at the end.
/// <c>--mode adapter</c> drives the store adapter alone (claim + complete of a fresh key), to split the engine's cost
/// from the adapter's.
/// </summary>
public static class WorkloadDriver
{
    public static async Task<int> RunAsync(ToolArguments args)
    {
        var store = args.Require("store");
        var endpoint = args.Get("endpoint");
        var concurrency = args.GetInt32("concurrency", 1);
        var mode = args.Has("floor") ? "floor" : args.Get("mode") ?? "engine";
        if (mode is not ("engine" or "floor" or "adapter"))
        {
            throw new ArgumentException("--mode must be engine, floor or adapter");
        }

        // Steady state, as a long-running host sees it: the engine's code is tiered up and profiled (tiered PGO) only
        // after thousands of calls, so a short run from a cold start would measure the JIT, not the engine.
        var warmup = new WarmUp(TimeSpan.FromSeconds(args.GetDouble("warmup-seconds", 4)), TimeSpan.FromSeconds(args.GetDouble("warmup-max-seconds", 60)));
        var events = await ReadEventsAsync(args.Require("events")).ConfigureAwait(false);
        var runId = Guid.NewGuid().ToString("N")[..12];
        await using var telemetry = await WorkloadTelemetry.StartAsync(args.Get("telemetry") ?? "off").ConfigureAwait(false);

        using var sqliteFile = store == "sqlite" ? new SqliteTempFile(args.Get("synchronous") ?? "normal") : null;
        var settings = Settings(store, endpoint, args, runId, sqliteFile);

        using var host = await StartHostAsync(settings).ConfigureAwait(false);
        var services = host.Services;
        var counting = (CountingDedupStore)services.GetRequiredService<IDedupStore>();

        // On during the warm-up too, so that the measured run's metric path is as warm as the engine's.
        using var phases = new PhaseTimings();
        Func<int, Task<DedupOutcome?>> operation;
        if (mode == "engine")
        {
            operation = Send(services.GetRequiredService<ISender>(), events);

            // Each warm-up pass replays the file unchanged in a Dedup namespace of its own (so in an engine of its own,
            // the namespace being the engine's setting): its keys, whatever source gives them, are never the measured
            // run's, which therefore finds every original new. The code it tiers up is the process's, shared.
            await warmup.RunAsync(async pass =>
            {
                using var warmupHost = await StartHostAsync(new Dictionary<string, string?>(settings)
                {
                    ["Dedup:Namespace"] = $"warmup-{runId}-{pass}",
                }).ConfigureAwait(false);
                var result = await ReplayAsync(events.Length, concurrency, Send(warmupHost.Services.GetRequiredService<ISender>(), events)).ConfigureAwait(false);
                await warmupHost.StopAsync().ConfigureAwait(false);
                return result;
            }).ConfigureAwait(false);
        }
        else
        {
            operation = mode == "floor" ? FloorOperation(store, services, runId, sqliteFile) : AdapterOperation(counting, runId);
            await warmup.RunAsync(_ => ReplayAsync(events.Length, concurrency, operation)).ConfigureAwait(false);
        }

        counting.Reset();
        phases.Clear();
        var multiplexer = store == "redis" ? services.GetRequiredService<IConnectionMultiplexer>() : null;
        var operationsBefore = multiplexer?.GetCounters().Interactive.OperationCount ?? 0;
        var redisBefore = store == "redis" ? await RedisCommandCountsAsync(endpoint!).ConfigureAwait(false) : null;

        // A floor operation takes microseconds: --operations lets it run long enough to measure (engine: the file's events).
        var operations = mode == "floor" ? args.GetInt32("operations", events.Length) : events.Length;
        var run = await ReplayAsync(operations, concurrency, operation).ConfigureAwait(false);

        var redisAfter = store == "redis" ? await RedisCommandCountsAsync(endpoint!).ConfigureAwait(false) : null;
        var roundTrips = (multiplexer?.GetCounters().Interactive.OperationCount ?? 0) - operationsBefore;
        await host.StopAsync().ConfigureAwait(false);

        Console.WriteLine(Summary(sqliteFile is null ? store : $"sqlite synchronous={sqliteFile.Synchronous}", mode, concurrency, operations, run, warmup, counting, phases, roundTrips, redisBefore, redisAfter));
        Console.Error.WriteLine(telemetry.Describe()); // stdout stays one JSON line: the perf scripts parse it
        return run.Outcomes.Keys.Any(o => o is DedupOutcome.StoreUnavailable or DedupOutcome.Invalid or DedupOutcome.Failed) ? 1 : 0;
    }

    /// <summary>The host configuration that picks <paramref name="store"/>, in a Dedup namespace of the run's own.</summary>
    internal static Dictionary<string, string?> Settings(string store, string? endpoint, ToolArguments args, string runId, SqliteTempFile? sqliteFile)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Dedup:Store"] = store,
            ["Dedup:Namespace"] = $"run-{runId}",
            ["Handler:Kind"] = "log",
        };
        switch (store)
        {
            case "sqlite":
                sqliteFile!.AddSettings(settings);
                break;
            case "redis":
                settings["Dedup:Redis:Configuration"] = endpoint ?? throw new ArgumentException("--endpoint host:port is required for redis");
                break;
            case "dynamodb":
                settings["Dedup:DynamoDb:ServiceUrl"] = endpoint ?? throw new ArgumentException("--endpoint http://host:port is required for dynamodb");
                settings["Dedup:DynamoDb:CreateTable"] = "true";
                settings["Dedup:DynamoDb:Region"] = "us-east-1";
                settings["Dedup:DynamoDb:TableName"] = args.Get("table") ?? "EventDeduplication";
                break;
            case "memory":
                break;
            default:
                throw new ArgumentException("--store must be memory, redis, dynamodb or sqlite");
        }

        return settings;
    }

    /// <summary>One caller's send through the mediator: the same code for the warm-up and the measured run.</summary>
    private static Func<int, Task<DedupOutcome?>> Send(ISender sender, byte[][] events) =>
        async i => (await sender.Send(new ProcessEvent(events[i])).ConfigureAwait(false)).Outcome;

    /// <summary>
    /// Whole passes for at least <paramref name="minimum"/>, then on until the JIT has been quiet for a second (fewer
    /// than <see cref="QuietMethods"/> methods compiled or tiered up in the last <see cref="QuietWindow"/> of passes)
    /// or <paramref name="maximum"/> has passed. On a loaded machine tiering up takes longer than any fixed warm-up, and
    /// the JIT's time is billed as the process's CPU.
    /// </summary>
    private sealed class WarmUp(TimeSpan minimum, TimeSpan maximum)
    {
        private const long QuietMethods = 10;
        private static readonly TimeSpan QuietWindow = TimeSpan.FromSeconds(1);

        public TimeSpan Took { get; private set; }

        public int Passes { get; private set; }

        /// <summary>Methods the JIT compiled in the last whole window of passes.</summary>
        public long LastWindowJitted { get; private set; } = long.MaxValue;

        public async Task RunAsync(Func<int, Task<RunResult>> pass)
        {
            var started = Stopwatch.GetTimestamp();
            var window = (Start: started, Jitted: JitInfo.GetCompiledMethodCount());
            do
            {
                await pass(Passes++).ConfigureAwait(false);
                Took = Stopwatch.GetElapsedTime(started);
                if (Stopwatch.GetElapsedTime(window.Start) >= QuietWindow)
                {
                    LastWindowJitted = JitInfo.GetCompiledMethodCount() - window.Jitted;
                    window = (Stopwatch.GetTimestamp(), JitInfo.GetCompiledMethodCount());
                }
            }
            while (Took < minimum || (LastWindowJitted >= QuietMethods && Took < maximum));
        }
    }

    /// <summary>
    /// An empty host: configuration from <paramref name="settings"/> only, no log provider (the log handler's line costs
    /// its level check), the store wrapped in a <see cref="CountingDedupStore"/>, and the store's hosted services
    /// (connection warm-up, table creation) started as a host would; returned once the store answers.
    /// </summary>
    internal static async Task<IHost> StartHostAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddGenesysDedupFromConfiguration(builder.Configuration);
        var configured = builder.Services.Last(d => d.ServiceType == typeof(IDedupStore));
        builder.Services.Replace(ServiceDescriptor.Singleton<IDedupStore>(sp => CountingDedupStore.Wrap(
            (IDedupStore)(configured.ImplementationInstance
                ?? configured.ImplementationFactory?.Invoke(sp)
                ?? ActivatorUtilities.CreateInstance(sp, configured.ImplementationType!)))));

        var host = builder.Build();
        try
        {
            await host.StartAsync().ConfigureAwait(false);
            await host.Services.GetRequiredService<IDedupStore>().CheckReadyAsync(CancellationToken.None).ConfigureAwait(false);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The events file: JSON lines, each any JSON object (an EventBridge event of any shape: Genesys, the tutorial's,
    /// an input transformer's output). Blank lines are skipped; a line that is not a JSON object stops the run, named.
    /// </summary>
    private static async Task<byte[][]> ReadEventsAsync(string path)
    {
        var events = new List<byte[]>();
        var number = 0;
        foreach (var line in await File.ReadAllLinesAsync(path).ConfigureAwait(false))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var bytes = Encoding.UTF8.GetBytes(line);
            try
            {
                using var document = JsonDocument.Parse(bytes);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new ArgumentException($"{path} line {number}: an event must be a JSON object, not {document.RootElement.ValueKind}");
                }
            }
            catch (JsonException ex)
            {
                throw new ArgumentException($"{path} line {number}: not JSON ({ex.Message})", ex);
            }

            events.Add(bytes);
        }

        return events.Count > 0 ? events.ToArray() : throw new ArgumentException($"{path} holds no events");
    }

    private static Func<int, Task<DedupOutcome?>> FloorOperation(string store, IServiceProvider services, string runId, SqliteTempFile? sqliteFile)
    {
        switch (store)
        {
            case "sqlite":
            {
                var insert = sqliteFile!.PrepareFloorInsert();
                var gate = new Lock(); // one connection, like the store's: one statement at a time
                return _ =>
                {
                    lock (gate)
                    {
                        insert.Parameters[0].Value = $"floor:{runId}:{Random.Shared.NextInt64()}";
                        insert.ExecuteNonQuery();
                    }

                    return Task.FromResult<DedupOutcome?>(null);
                };
            }

            case "redis":
            {
                var database = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
                var expiry = TimeSpan.FromSeconds(86400);
                return async _ =>
                {
                    // SET key v EX 86400 NX — the claim's shape without the engine.
                    await database.StringSetAsync($"floor:{runId}:{Random.Shared.NextInt64()}", "v", expiry, When.NotExists).ConfigureAwait(false);
                    return null;
                };
            }

            case "dynamodb":
            {
                var client = services.GetRequiredService<IAmazonDynamoDB>();
                var table = services.GetRequiredService<IOptions<DynamoDbStoreOptions>>().Value.TableName;
                return async _ =>
                {
                    await client.PutItemAsync(new PutItemRequest
                    {
                        TableName = table,
                        Item = new Dictionary<string, AttributeValue> { ["EventId"] = new() { S = $"floor:{runId}:{Random.Shared.NextInt64()}" } },
                        ConditionExpression = "attribute_not_exists(EventId)",
                    }).ConfigureAwait(false);
                    return null;
                };
            }

            default:
            {
                // Its own unbounded store: a time-based warm-up makes millions of claims that never complete, which the
                // configured store (Dedup:Memory:MaxEntries) rightly refuses once full.
                var memory = new MemoryDedupStore();
                return async _ =>
                {
                    var now = DateTimeOffset.UnixEpoch.AddYears(60);
                    await memory.TryClaimAsync(new ClaimRequest($"floor:{runId}:{Random.Shared.NextInt64()}", "owner", "sha256:x", now, now.AddMinutes(1)), CancellationToken.None).ConfigureAwait(false);
                    return null;
                };
            }
        }
    }

    /// <summary>The store adapter alone, as the engine drives it for a new event: claim, then complete, of a fresh key.</summary>
    private static Func<int, Task<DedupOutcome?>> AdapterOperation(CountingDedupStore store, string runId) => async i =>
    {
        var key = $"adapter:{runId}:{Random.Shared.NextInt64()}";
        var owner = Guid.NewGuid().ToString("N");
        var now = TimeProvider.System.GetUtcNow();
        await store.TryClaimAsync(new ClaimRequest(key, owner, "sha256:0000000000000000000000000000000000000000000000000000000000000000", now, now.AddMinutes(1)), CancellationToken.None).ConfigureAwait(false);
        await store.CompleteAsync(new CompleteRequest(key, owner, "sha256:0000000000000000000000000000000000000000000000000000000000000000", now, now.AddDays(1)), CancellationToken.None).ConfigureAwait(false);
        return null;
    };

    private sealed record RunResult(double Seconds, double CpuSeconds, long[] LatencyTicks, Dictionary<DedupOutcome, int> Outcomes, RuntimeCounters Runtime);

    /// <summary>
    /// What the runtime did during a run: threads, thread-pool work items, lock contention, collections, bytes allocated,
    /// and the JIT's compilations and time (billed to the process's CPU like the engine's own work).
    /// </summary>
    private readonly record struct RuntimeCounters(int Threads, long WorkItems, long LockContentions, int Gen0, int Gen1, int Gen2, long Allocated, long JitMethods, TimeSpan JitTime)
    {
        public static RuntimeCounters Now() => new(ThreadPool.ThreadCount, ThreadPool.CompletedWorkItemCount, Monitor.LockContentionCount,
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes(),
            JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());

        public RuntimeCounters Since(RuntimeCounters before) => new(Threads, WorkItems - before.WorkItems, LockContentions - before.LockContentions,
            Gen0 - before.Gen0, Gen1 - before.Gen1, Gen2 - before.Gen2, Allocated - before.Allocated, JitMethods - before.JitMethods, JitTime - before.JitTime);
    }

    private static async Task<RunResult> ReplayAsync(int count, int concurrency, Func<int, Task<DedupOutcome?>> operation)
    {
        var latencies = new long[count];
        var outcomes = new int[Enum.GetValues<DedupOutcome>().Length];
        var next = -1;
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var runtimeBefore = RuntimeCounters.Now();
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= count)
                {
                    return;
                }

                var t0 = Stopwatch.GetTimestamp();
                var outcome = await operation(i).ConfigureAwait(false);
                latencies[i] = Stopwatch.GetTimestamp() - t0;
                if (outcome is { } o)
                {
                    Interlocked.Increment(ref outcomes[(int)o]);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpuSeconds = (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds;
        var byOutcome = Enum.GetValues<DedupOutcome>().Where(o => outcomes[(int)o] > 0).ToDictionary(o => o, o => outcomes[(int)o]);
        return new RunResult(seconds, cpuSeconds, latencies, byOutcome, RuntimeCounters.Now().Since(runtimeBefore));
    }

    /// <summary>Calls per command from <c>INFO commandstats</c> (server side: what really crossed the wire).</summary>
    private static async Task<Dictionary<string, long>> RedisCommandCountsAsync(string endpoint)
    {
        var options = ConfigurationOptions.Parse(endpoint);
        options.AllowAdmin = true;
        await using var admin = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var info = await server.InfoAsync("commandstats").ConfigureAwait(false);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pair in info.SelectMany(group => group))
        {
            if (!pair.Key.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                continue;
            }

            var calls = pair.Value.Split(',').First(part => part.StartsWith("calls=", StringComparison.Ordinal));
            counts[pair.Key["cmdstat_".Length..]] = long.Parse(calls["calls=".Length..], CultureInfo.InvariantCulture);
        }

        return counts;
    }

    private static string Summary(string store, string mode, int concurrency, int events, RunResult run, WarmUp warmup, CountingDedupStore counting,
        PhaseTimings phases, long redisRoundTrips, Dictionary<string, long>? redisBefore, Dictionary<string, long>? redisAfter)
    {
        var sorted = run.LatencyTicks.Order().ToArray();
        double Percentile(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("mode", mode);
            json.WriteString("store", store);
            json.WriteNumber("concurrency", concurrency);
            json.WriteNumber("events", events);
            json.WriteNumber("seconds", Math.Round(run.Seconds, 4));
            json.WriteNumber("eventsPerSecond", Math.Round(events / run.Seconds, 1));
            json.WriteNumber("p50Ms", Math.Round(Percentile(0.50), 4));
            json.WriteNumber("p99Ms", Math.Round(Percentile(0.99), 4));

            // This process's CPU time (all threads: engine, client I/O, GC) per event: what bounds throughput once the
            // store is not the limit, and a figure a busy machine's descheduling does not inflate.
            json.WriteNumber("cpuMsPerEvent", Math.Round(run.CpuSeconds * 1000 / events, 4));
            json.WriteStartObject("warmup");
            json.WriteNumber("seconds", Math.Round(warmup.Took.TotalSeconds, 1));
            json.WriteNumber("passes", warmup.Passes);
            json.WriteNumber("lastSecondMethodsJitted", warmup.LastWindowJitted);
            json.WriteEndObject();
            json.WriteStartObject("runtime");
            json.WriteNumber("threadPoolThreads", run.Runtime.Threads);
            json.WriteNumber("workItemsPerEvent", Math.Round((double)run.Runtime.WorkItems / events, 2));
            json.WriteNumber("lockContentions", run.Runtime.LockContentions);
            json.WriteNumber("gen0", run.Runtime.Gen0);
            json.WriteNumber("gen1", run.Runtime.Gen1);
            json.WriteNumber("gen2", run.Runtime.Gen2);
            json.WriteNumber("allocatedBytesPerEvent", Math.Round((double)run.Runtime.Allocated / events));
            json.WriteNumber("methodsJitted", run.Runtime.JitMethods);
            json.WriteNumber("jitMsPerEvent", Math.Round(run.Runtime.JitTime.TotalMilliseconds / events, 4));
            json.WriteEndObject();
            if (mode != "floor")
            {
                json.WriteNumber("processed", run.Outcomes.GetValueOrDefault(DedupOutcome.Processed));
                json.WriteNumber("duplicates", run.Outcomes.GetValueOrDefault(DedupOutcome.Duplicate));
                json.WriteStartObject("outcomes");
                foreach (var (outcome, count) in run.Outcomes)
                {
                    json.WriteNumber(outcome.ToWireName(), count);
                }

                json.WriteEndObject();
                json.WriteNumber("storeCallsPerEvent", Math.Round((double)counting.Total / events, 4));
                json.WriteNumber("claims", counting.Claims);
                json.WriteNumber("completes", counting.Completes);
                json.WriteNumber("releases", counting.Releases);
                json.WriteStartObject("phaseMedianMs");
                foreach (var (phase, median, _) in phases.Medians())
                {
                    json.WriteNumber(phase, Math.Round(median, 4));
                }

                json.WriteEndObject();
            }

            if (redisBefore is not null && redisAfter is not null)
            {
                var delta = redisAfter
                    .Where(p => p.Key is not ("info" or "hello" or "client|setname" or "client|setinfo" or "cluster|nodes" or "config|get" or "echo" or "subscribe" or "ping" or "role" or "sentinel"))
                    .Select(p => (p.Key, Calls: p.Value - redisBefore.GetValueOrDefault(p.Key)))
                    .Where(p => p.Calls > 0)
                    .ToArray();
                // Client side: requests this process sent (round trips). Server side (INFO commandstats): commands run,
                // including those a Lua script runs inside its one round trip.
                json.WriteNumber("redisRoundTripsPerEvent", Math.Round((double)redisRoundTrips / events, 4));
                json.WriteStartObject("redisServerCommands");
                foreach (var (command, calls) in delta)
                {
                    json.WriteNumber(command, calls);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
