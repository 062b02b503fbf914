using System.Diagnostics.Metrics;
using GenesysDedup.Application;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Stores.Memory;

/// <summary>
/// Counts every eviction (<c>genesys_dedup.memory.evicted</c>, on the engine's meter), and warns when eviction starts
/// and then at most once per <see cref="WarningInterval"/> with what was evicted since: a flood of unique events evicts
/// on every few claims, and must not flood the log too.
/// </summary>
internal sealed class EvictionReporter(IMeterFactory meters, TimeProvider time, ILogger<MemoryDedupStore> logger)
{
    internal static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly Counter<long> _evicted = meters.Create(DedupMetrics.MeterName).CreateCounter<long>(
        "genesys_dedup.memory.evicted", unit: "{record}", description: "Completed records the memory store evicted before their retention ended (Dedup:Memory:MaxEntries).");

    private readonly Lock _gate = new();
    private long? _lastWarning;
    private int _sinceWarning;

    public void Evicted(int records)
    {
        _evicted.Add(records);
        int toReport;
        lock (_gate)
        {
            _sinceWarning += records;
            if (_lastWarning is { } last && time.GetElapsedTime(last) < WarningInterval)
            {
                return;
            }

            _lastWarning = time.GetTimestamp();
            toReport = _sinceWarning;
            _sinceWarning = 0;
        }

        Log.Evicted(logger, toReport);
    }
}
