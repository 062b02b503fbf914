using GenesysDedup.Application;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GenesysDedup.Hosting;

/// <summary>
/// OTLP export as the standard <c>OTEL_*</c> environment variables say, shared by both hosts: a signal is exported when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or its own <c>OTEL_EXPORTER_OTLP_{TRACES|METRICS|LOGS}_ENDPOINT</c> is set, and
/// not at all otherwise (then no tracer listens to the engine's spans, and they cost nothing). Protocol, headers,
/// timeouts and the service name come from the other <c>OTEL_*</c> variables, read by the exporter itself.
/// </summary>
public static class OtlpExport
{
    /// <summary>The signals, as they appear in the signal-specific variable names.</summary>
    public const string Traces = "TRACES";

    /// <inheritdoc cref="Traces"/>
    public const string Metrics = "METRICS";

    /// <inheritdoc cref="Traces"/>
    public const string Logs = "LOGS";

    /// <summary>Whether <paramref name="signal"/> is exported: an endpoint for all signals or for it is configured.</summary>
    public static bool IsOn(IConfiguration configuration, string signal)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
            || !string.IsNullOrWhiteSpace(configuration[$"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"]);
    }

    /// <summary>The engine's spans (<c>dedup.process</c> and its children), exported over OTLP.</summary>
    public static TracerProviderBuilder AddGenesysDedupOtlpTracing(this TracerProviderBuilder tracing) =>
        tracing.AddSource(DedupMetrics.MeterName).AddOtlpExporter();

    /// <summary>The engine's meter with the latency buckets of its histograms, without an exporter.</summary>
    public static MeterProviderBuilder AddGenesysDedupMeter(this MeterProviderBuilder metrics) => metrics
        .AddMeter(DedupMetrics.MeterName)
        .AddView("genesys_dedup.store.duration", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets })
        .AddView("genesys_dedup.handler.duration", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets });

    /// <summary>Adds the OTLP exporter to <paramref name="logging"/>.</summary>
    public static LoggerProviderBuilder AddGenesysDedupOtlpLogs(this LoggerProviderBuilder logging) => logging.AddOtlpExporter();

    // Store calls take ~0.1–5 ms; handlers up to the 3 s downstream timeout.
    private static readonly double[] LatencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
}
