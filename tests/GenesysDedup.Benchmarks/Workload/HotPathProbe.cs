using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GenesysDedup.Domain;

namespace GenesysDedup.Benchmarks.Workload;

/// <summary>
/// <c>hotpath [--size 4KB] [--seconds 1] [--repeat 5]</c>: key + fingerprint of an already parsed event, on one thread,
/// in MB/s of event body, next to its floor (one SHA-256 of the body) measured in the same repetition, plus managed bytes
/// allocated per operation. Besides wall-clock it divides by CPU time: the process's, and this thread's alone (Linux
/// <c>/proc/thread-self/schedstat</c>), which other processes on a shared machine inflate least. A quick A/B probe for
/// Domain changes; BenchmarkDotNet (<c>bench</c>) gives the full picture.
/// </summary>
public static class HotPathProbe
{
    public static int Run(ToolArguments args)
    {
        var size = args.Get("size") ?? Payloads.Medium;
        var seconds = args.GetDouble("seconds", 1);
        var repeat = args.GetInt32("repeat", 5);
        var body = Payloads.Get(size);
        using var parsed = EventParser.Parse(body).Event ?? throw new InvalidOperationException("payload does not parse");
        var resolver = KeyResolver.FromNames(null);
        var hash = new byte[SHA256.HashSizeInBytes];

        // Warm-up: reach tier-1 code before measuring.
        _ = Measure(() => resolver.Resolve(parsed), 0.5);
        _ = Measure(() => SHA256.HashData(body, hash), 0.2);

        var oursCpu = new List<double>();
        var oursThreadCpu = new List<double>();
        var ours = new List<double>();
        var floor = new List<double>();
        var allocated = new List<double>();
        for (var i = 0; i < repeat; i++)
        {
            var (opsPerSecond, bytesPerOp, opsPerCpuSecond, opsPerThreadCpuSecond) = Measure(() => resolver.Resolve(parsed), seconds);
            ours.Add(opsPerSecond * body.Length / 1e6);
            oursCpu.Add(opsPerCpuSecond * body.Length / 1e6);
            oursThreadCpu.Add(opsPerThreadCpuSecond * body.Length / 1e6);
            allocated.Add(bytesPerOp);
            floor.Add(Measure(() => SHA256.HashData(body, hash), seconds).OpsPerSecond * body.Length / 1e6);
        }

        var ratios = ours.Zip(floor, (a, b) => a / b).ToList();
        var json = new StringBuilder();
        json.Append(CultureInfo.InvariantCulture, $"{{\"probe\":\"key+fingerprint\",\"size\":\"{size}\",\"bytes\":{body.Length},\"repeat\":{repeat},");
        json.Append(CultureInfo.InvariantCulture, $"\"mbPerSecond\":{Median(ours):F1},\"mbPerSecondMin\":{ours.Min():F1},\"mbPerSecondMax\":{ours.Max():F1},\"mbPerCpuSecond\":{Median(oursCpu):F1},");
        json.Append(CultureInfo.InvariantCulture, $"\"mbPerThreadCpuSecond\":{Median(oursThreadCpu):F1},\"mbPerThreadCpuSecondMin\":{oursThreadCpu.Min():F1},\"mbPerThreadCpuSecondMax\":{oursThreadCpu.Max():F1},");
        json.Append(CultureInfo.InvariantCulture, $"\"sha256MbPerSecond\":{Median(floor):F1},\"ratioToSha256\":{Median(ratios):F3},\"ratioMin\":{ratios.Min():F3},\"ratioMax\":{ratios.Max():F3},");
        json.Append(CultureInfo.InvariantCulture, $"\"allocatedBytesPerOp\":{Median(allocated):F1},\"key\":{JsonSerializer.Serialize(resolver.Resolve(parsed).Key!.Value.Value)}}}");
        Console.WriteLine(json.ToString());
        return 0;
    }

    /// <summary>Operations per wall-clock second, bytes allocated per operation, and operations per second of this
    /// process's and of this thread's CPU time (which a busy machine's descheduling does not inflate).</summary>
    private static (double OpsPerSecond, double BytesPerOp, double OpsPerCpuSecond, double OpsPerThreadCpuSecond) Measure(Action operation, double seconds)
    {
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var threadCpuBefore = ThreadCpuSeconds();
        var budget = (long)(seconds * Stopwatch.Frequency);
        long operations = 0;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var started = Stopwatch.GetTimestamp();
        long elapsed;
        do
        {
            for (var i = 0; i < 64; i++)
            {
                operation();
            }

            operations += 64;
            elapsed = Stopwatch.GetTimestamp() - started;
        }
        while (elapsed < budget);

        var allocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var cpu = (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds;
        var threadCpu = ThreadCpuSeconds() - threadCpuBefore;
        return (operations * (double)Stopwatch.Frequency / elapsed, (double)allocatedBytes / operations, operations / Math.Max(cpu, 1e-9),
            operations / Math.Max(threadCpu, 1e-9));
    }

    // The first field of schedstat is the nanoseconds this thread has run; NaN where there is no such file.
    private static double ThreadCpuSeconds() =>
        File.Exists("/proc/thread-self/schedstat")
            ? long.Parse(File.ReadAllText("/proc/thread-self/schedstat").Split(' ')[0], CultureInfo.InvariantCulture) / 1e9
            : double.NaN;

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
