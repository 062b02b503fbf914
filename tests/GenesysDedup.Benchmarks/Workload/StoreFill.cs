using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using GenesysDedup.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GenesysDedup.Benchmarks.Workload;

/// <summary>
/// <c>fill --store sqlite|memory|… [--synchronous normal|full] --keys 1000000 [--concurrency 4]</c>: claims and
/// completes that many new keys through the store as the engine composes it (the keys, owner tokens and fingerprints
/// shaped as the engine's: <c>:fingerprint:sha256:&lt;64 hex&gt;</c>), then prints one JSON line with this process's
/// resident memory (<c>VmRSS</c> now, <c>VmHWM</c> its peak, from /proc/self/status) while the store holds them, and
/// for SQLite the file's size per key after a checkpoint (file + WAL).
/// </summary>
internal static class StoreFill
{
    public static async Task<int> RunAsync(ToolArguments args)
    {
        var store = args.Require("store");
        var keys = args.GetInt32("keys", 1_000_000);
        var concurrency = args.GetInt32("concurrency", 4);
        var runId = Guid.NewGuid().ToString("N")[..12];
        using var sqliteFile = store == "sqlite" ? new SqliteTempFile(args.Get("synchronous") ?? "normal") : null;
        var settings = WorkloadDriver.Settings(store, args.Get("endpoint"), args, runId, sqliteFile);
        settings.Remove("Dedup:Namespace"); // the HTTP host's default, empty: the stored form starts with ':'

        using var host = await WorkloadDriver.StartHostAsync(settings).ConfigureAwait(false);
        var dedup = host.Services.GetRequiredService<IDedupStore>();
        var rssBefore = ProcStatus("VmRSS");
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < keys; i = Interlocked.Increment(ref next))
            {
                var fingerprint = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes((long)i)));
                var key = ":fingerprint:" + fingerprint;
                var owner = Guid.NewGuid().ToString("N");
                var now = TimeProvider.System.GetUtcNow();
                var claim = await dedup.TryClaimAsync(new ClaimRequest(key, owner, fingerprint, now, now.AddMinutes(1)), CancellationToken.None).ConfigureAwait(false);
                if (claim.Status != ClaimStatus.Acquired
                    || !await dedup.CompleteAsync(new CompleteRequest(key, owner, fingerprint, now, now.AddDays(1)), CancellationToken.None).ConfigureAwait(false))
                {
                    throw new InvalidOperationException($"key {i} was not claimed and completed ({claim.Status})");
                }

                if ((i + 1) % 100_000 == 0)
                {
                    await Console.Error.WriteLineAsync($"{i + 1:N0} keys, VmRSS {ProcStatus("VmRSS") / 1024} MB").ConfigureAwait(false);
                }
            }
        }))).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var rss = ProcStatus("VmRSS");
        var hwm = ProcStatus("VmHWM");

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("store", sqliteFile is null ? store : $"sqlite synchronous={sqliteFile.Synchronous}");
            json.WriteNumber("keys", keys);
            json.WriteNumber("concurrency", concurrency);
            json.WriteNumber("keysPerSecond", Math.Round(keys / seconds));
            json.WriteNumber("rssBeforeMb", Math.Round(rssBefore / 1024.0, 1));
            json.WriteNumber("rssMb", Math.Round(rss / 1024.0, 1));
            json.WriteNumber("peakRssMb", Math.Round(hwm / 1024.0, 1));
            json.WriteNumber("managedHeapMb", Math.Round(GC.GetTotalMemory(forceFullCollection: true) / 1048576.0, 1));
            if (sqliteFile is not null)
            {
                json.WriteNumber("bytesBeforeCheckpoint", sqliteFile.Bytes);
                sqliteFile.Checkpoint();
                json.WriteNumber("bytesAfterCheckpoint", sqliteFile.Bytes);
                json.WriteNumber("bytesPerKey", Math.Round((double)sqliteFile.Bytes / keys, 1));
            }

            json.WriteEndObject();
        }

        await host.StopAsync().ConfigureAwait(false);
        Console.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        return 0;
    }

    /// <summary>A kB figure of /proc/self/status (<c>VmRSS</c>, <c>VmHWM</c>).</summary>
    private static long ProcStatus(string field) =>
        File.ReadLines("/proc/self/status")
            .Where(line => line.StartsWith(field + ":", StringComparison.Ordinal))
            .Select(line => long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
            .First();
}
