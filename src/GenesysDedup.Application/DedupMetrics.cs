using System.Diagnostics.Metrics;
using GenesysDedup.Domain;

namespace GenesysDedup.Application;

/// <summary>
/// The one <see cref="Meter"/> named <c>GenesysDedup</c> (the engine's spans come from an <c>ActivitySource</c> of the same
/// name). In Prometheus text these become <c>genesys_dedup_events_total{outcome="…"}</c>,
/// <c>genesys_dedup_lease_lost_total</c>, <c>genesys_dedup_store_duration_seconds</c> and
/// <c>genesys_dedup_handler_duration_seconds</c>.
/// </summary>
public sealed class DedupMetrics
{
    /// <summary>The name of the meter and of the activity source, for <c>AddMeter</c> and <c>AddSource</c> in OpenTelemetry.</summary>
    public const string MeterName = "GenesysDedup";

    private readonly Counter<long> _events;
    private readonly Counter<long> _leaseLost;
    private readonly Histogram<double> _storeDuration;
    private readonly Histogram<double> _handlerDuration;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public DedupMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _events = meter.CreateCounter<long>("genesys_dedup.events", unit: "{event}", description: "Event deliveries by outcome.");
        _leaseLost = meter.CreateCounter<long>("genesys_dedup.lease_lost", unit: "{event}", description: "Completions refused because another delivery took over the lease (fencing).");
        _storeDuration = meter.CreateHistogram<double>("genesys_dedup.store.duration", unit: "s", description: "Store call latency by operation.");
        _handlerDuration = meter.CreateHistogram<double>("genesys_dedup.handler.duration", unit: "s", description: "Handler latency.");
    }

    /// <summary>Counts one delivery by its outcome; a transport counts the deliveries it answers without the engine.</summary>
    public void EventDelivered(DedupOutcome outcome) =>
        _events.Add(1, new KeyValuePair<string, object?>("outcome", outcome.ToWireName()));

    /// <summary>Counts a completion refused because another delivery took over the lease.</summary>
    public void LeaseLost() => _leaseLost.Add(1);

    /// <summary>Records one store call's latency by operation.</summary>
    public void StoreCall(string operation, TimeSpan elapsed) =>
        _storeDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    /// <summary>Records one handler run's latency.</summary>
    public void HandlerRan(TimeSpan elapsed) => _handlerDuration.Record(elapsed.TotalSeconds);
}
