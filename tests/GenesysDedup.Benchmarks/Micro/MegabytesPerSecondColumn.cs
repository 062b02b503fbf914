using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace GenesysDedup.Benchmarks.Micro;

/// <summary>Throughput of a benchmark with a <c>Size</c> parameter: the payload's bytes over the median time per operation, in MB/s (10^6 bytes).</summary>
public sealed class MegabytesPerSecondColumn : IColumn
{
    public string Id => nameof(MegabytesPerSecondColumn);

    public string ColumnName => "MB/s (median)";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "payload bytes / median time per operation, in 10^6 bytes per second";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var size = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Size")?.Value as string;
        var report = summary[benchmarkCase];
        if (size is null || report?.ResultStatistics is not { } statistics)
        {
            return "-";
        }

        var bytes = Payloads.Get(size).Length;
        var megabytesPerSecond = bytes / statistics.Median * 1e9 / 1e6;
        return megabytesPerSecond.ToString("F1", CultureInfo.InvariantCulture);
    }
}
