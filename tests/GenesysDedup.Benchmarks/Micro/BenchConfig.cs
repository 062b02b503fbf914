using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace GenesysDedup.Benchmarks.Micro;

/// <summary>
/// One configuration for every micro-benchmark: in process (no per-class rebuild: this 2-core machine is shared with
/// other builds), 3 warm-up and 15 measured iterations, allocations per operation, and median/min/max so each figure
/// can be reported as a median with its range. Baselines in each class are the floor the ratio column compares to.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3)
            .WithIterationCount(15)
            .WithId("InProcess"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max);
        AddColumn(new MegabytesPerSecondColumn());
        WithOptions(ConfigOptions.JoinSummary);
        SummaryStyle = BenchmarkDotNet.Reports.SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
    }
}
