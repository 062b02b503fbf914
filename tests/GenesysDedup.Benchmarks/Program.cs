using BenchmarkDotNet.Running;
using GenesysDedup.Benchmarks.Workload;

namespace GenesysDedup.Benchmarks;

/// <summary>
/// <c>bench [BenchmarkDotNet options, e.g. --filter '*']</c>: micro-benchmarks (Micro/).
/// <c>workload --store memory|redis|dynamodb|sqlite [--endpoint …] --events FILE.jsonl --concurrency N [--floor]</c>: replay
/// any EventBridge JSON lines (one JSON object a line).
/// <c>fill --store sqlite --keys 1000000</c>: memory and file size while the store holds that many keys.
/// <c>generate --out FILE.jsonl [--events 5000] [--duplicates 0.3] [--seed 1]</c>: the standard workload.
/// <c>trace-picture --out FILE.svg</c>: the spans of an event and its duplicate, exported by the HTTP host, drawn.
/// </summary>
public static class EntryPoint
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            return await RunAsync(args).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            // Usage and input errors (a missing option, a line of the events file that is not an event): the message says which.
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }
    }

    private static async Task<int> RunAsync(string[] args)
    {
        var command = args.Length > 0 ? args[0] : "help";
        var rest = args.Skip(1).ToArray();
        switch (command)
        {
            case "bench":
                BenchmarkSwitcher.FromAssembly(typeof(EntryPoint).Assembly).Run(rest);
                return 0;
            case "workload":
                return await WorkloadDriver.RunAsync(new ToolArguments(rest)).ConfigureAwait(false);
            case "generate":
                return WorkloadGenerator.Run(new ToolArguments(rest));
            case "fill":
                return await StoreFill.RunAsync(new ToolArguments(rest)).ConfigureAwait(false);
            case "hotpath":
                return HotPathProbe.Run(new ToolArguments(rest));
            case "trace-picture":
                return await TracePicture.RunAsync(new ToolArguments(rest)).ConfigureAwait(false);
            default:
                await Console.Error.WriteLineAsync("""
                    usage:
                      bench [--filter '*'] [other BenchmarkDotNet options]
                      workload --store memory|redis|dynamodb|sqlite [--endpoint host:port | http://host:port] [--synchronous normal|full] --events FILE.jsonl --concurrency N [--floor [--operations N]] [--warmup-seconds 4 [--warmup-max-seconds 60]] [--telemetry off|metrics|on|export]
                      fill --store sqlite|memory [--synchronous normal|full] [--keys 1000000] [--concurrency 4]
                      generate --out FILE.jsonl [--events 5000] [--duplicates 0.3] [--seed 1]
                      hotpath [--size 1KB|4KB|64KB|1MB] [--seconds 1] [--repeat 5]
                      trace-picture --out docs/images/trace.svg
                    """).ConfigureAwait(false);
                return command == "help" ? 0 : 2;
        }
    }
}
