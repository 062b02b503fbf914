using GenesysDedup.Application;
using GenesysDedup.Hosting;
using GenesysDedup.Testing.Otlp;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GenesysDedup.Benchmarks.Workload;

/// <summary>
/// <c>--telemetry off|metrics|on|export</c>: off = nobody listens to the engine's spans and meter (the default);
/// metrics = a meter provider aggregates the metrics and nobody listens to the spans, as in either host with no OTLP
/// endpoint (the HTTP host's <c>/metrics</c>, the Lambda host's EMF), the baseline for the cost of tracing; on = a tracer
/// samples spans and a meter provider aggregates the metrics, exporting nothing; export = both export over OTLP/HTTP
/// (protobuf, batched) to the collector that <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> names, or without it to an
/// <see cref="OtlpReceiver"/> in this process, which decodes what it gets. The sampler is the SDK's, so
/// <c>OTEL_TRACES_SAMPLER</c>/<c>_ARG</c> apply (default: every delivery, as none has a parent here).
/// </summary>
internal sealed class WorkloadTelemetry : IAsyncDisposable
{
    private readonly TracerProvider? _tracer;
    private readonly MeterProvider? _meter;
    private readonly OtlpReceiver? _receiver;

    private WorkloadTelemetry(string mode, TracerProvider? tracer, MeterProvider? meter, OtlpReceiver? receiver)
    {
        Mode = mode;
        _tracer = tracer;
        _meter = meter;
        _receiver = receiver;
    }

    public string Mode { get; }

    public static async Task<WorkloadTelemetry> StartAsync(string mode)
    {
        switch (mode)
        {
            case "off":
                return new WorkloadTelemetry(mode, null, null, null);
            case "metrics":
                return new WorkloadTelemetry(mode, null, Sdk.CreateMeterProviderBuilder().AddGenesysDedupMeter().Build(), null);
            case "on":
                return new WorkloadTelemetry(
                    mode,
                    Sdk.CreateTracerProviderBuilder().AddSource(DedupMetrics.MeterName).Build(),
                    Sdk.CreateMeterProviderBuilder().AddGenesysDedupMeter().Build(),
                    null);
            case "export" when !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")):
                return new WorkloadTelemetry(
                    mode,
                    Sdk.CreateTracerProviderBuilder().AddGenesysDedupOtlpTracing().Build(),
                    Sdk.CreateMeterProviderBuilder().AddGenesysDedupMeter().AddOtlpExporter().Build(),
                    null);
            case "export":
                var receiver = await OtlpReceiver.StartAsync().ConfigureAwait(false);
                return new WorkloadTelemetry(
                    mode,
                    Sdk.CreateTracerProviderBuilder().AddSource(DedupMetrics.MeterName)
                        .AddOtlpExporter(o => Point(o, receiver, "v1/traces")).Build(),
                    Sdk.CreateMeterProviderBuilder().AddGenesysDedupMeter().AddOtlpExporter(o => Point(o, receiver, "v1/metrics")).Build(),
                    receiver);
            default:
                throw new ArgumentException("--telemetry must be off, metrics, on or export");
        }
    }

    /// <summary>What reached the receiver (export only), for the summary.</summary>
    public string Describe()
    {
        _tracer?.ForceFlush();
        _meter?.ForceFlush();
        return _receiver is null ? $"telemetry={Mode}" : $"telemetry={Mode} (receiver got {_receiver.Spans.Count} spans)";
    }

    public async ValueTask DisposeAsync()
    {
        _tracer?.Dispose();
        _meter?.Dispose();
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void Point(OtlpExporterOptions options, OtlpReceiver receiver, string path)
    {
        options.Protocol = OtlpExportProtocol.HttpProtobuf;
        options.Endpoint = new Uri(receiver.Endpoint, path);
    }
}
