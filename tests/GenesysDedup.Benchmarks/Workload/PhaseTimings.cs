using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using GenesysDedup.Application;

namespace GenesysDedup.Benchmarks.Workload;

/// <summary>
/// Listens to the engine's own histograms (meter <c>GenesysDedup</c>: store call duration by operation, handler
/// duration) during the measured run, so a summary can say where an event's time went.
/// </summary>
public sealed class PhaseTimings : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _values = new(StringComparer.Ordinal);

    public PhaseTimings()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == DedupMetrics.MeterName && instrument is Histogram<double>)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var name = instrument.Name.Replace("genesys_dedup.", string.Empty, StringComparison.Ordinal).Replace(".duration", string.Empty, StringComparison.Ordinal);
            foreach (var tag in tags)
            {
                if (tag.Key == "operation")
                {
                    name = $"{name}.{tag.Value}";
                }
            }

            _values.GetOrAdd(name, _ => []).Add(value);
        });
        _listener.Start();
    }

    public void Clear() => _values.Clear();

    /// <summary>Median per phase, in milliseconds, and how many times each ran.</summary>
    public IEnumerable<(string Phase, double MedianMs, int Count)> Medians() =>
        _values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
        {
            var sorted = p.Value.Order().ToArray();
            return (p.Key, sorted[sorted.Length / 2] * 1000, sorted.Length);
        });

    public void Dispose() => _listener.Dispose();
}
