using System.Diagnostics.Metrics;
using GenesysDedup.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// The Lambda host's telemetry (docs/observability.md#lambda-cloudwatch-metrics-and-x-ray): EMF lines on stdout when it
/// runs in Lambda (<c>AWS_LAMBDA_FUNCTION_NAME</c> is set), and OTLP export of traces, metrics and logs when an
/// <c>OTEL_EXPORTER_OTLP_*ENDPOINT</c> is set. Both are finished before each invocation's result is posted: Lambda may
/// freeze the sandbox right after.
/// </summary>
internal sealed class LambdaTelemetry(IServiceProvider services, TimeProvider time, ILogger<LambdaTelemetry> logger)
{
    public const string FunctionNameVariable = "AWS_LAMBDA_FUNCTION_NAME";

    /// <summary>Left for posting the result: the flush stops waiting this long before the deadline.</summary>
    public static readonly TimeSpan PostReserve = TimeSpan.FromMilliseconds(200);

    /// <summary>The flush's bound when Lambda gave no deadline (a Runtime API emulator).</summary>
    public static readonly TimeSpan FlushWithoutDeadline = TimeSpan.FromSeconds(2);

    private readonly EmfMetrics? _emf = services.GetService<EmfMetrics>();
    private readonly TracerProvider? _tracer = services.GetService<TracerProvider>();
    private readonly MeterProvider? _meter = services.GetService<MeterProvider>();
    private readonly LoggerProvider? _logs = services.GetService<LoggerProvider>();

    public static void Compose(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<LambdaTelemetry>();
        var functionName = configuration[FunctionNameVariable];
        if (!string.IsNullOrWhiteSpace(functionName))
        {
            services.AddSingleton(provider => new EmfMetrics(
                provider.GetRequiredService<IMeterFactory>(), functionName, Console.Out, provider.GetRequiredService<TimeProvider>()));
        }

        var (traces, metrics, logs) = (OtlpExport.IsOn(configuration, OtlpExport.Traces),
            OtlpExport.IsOn(configuration, OtlpExport.Metrics), OtlpExport.IsOn(configuration, OtlpExport.Logs));
        if (!traces && !metrics && !logs)
        {
            return; // no SDK at all: nothing listens, so the engine starts no spans and there is nothing to flush
        }

        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource =>
        {
            // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still apply; without them the service is the function.
            if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
            {
                resource.AddService(string.IsNullOrWhiteSpace(functionName) ? "genesys-dedup" : functionName);
            }

            resource.AddAttributes([new("cloud.provider", "aws"), new("cloud.platform", "aws_lambda")]);
        });
        if (traces)
        {
            // .NET's own client spans ("System.Net.Http"): the http handler's POST is recorded under dedup.handler and its
            // traceparent names that span. Without a listener .NET would send the id of a span nobody exports.
            telemetry.WithTracing(tracing => tracing.AddGenesysDedupOtlpTracing().AddSource("System.Net.Http"));
        }

        if (metrics)
        {
            telemetry.WithMetrics(meter => meter.AddGenesysDedupMeter().AddOtlpExporter());
        }

        if (logs)
        {
            telemetry.WithLogging(logging => logging.AddGenesysDedupOtlpLogs());
        }
    }

    /// <summary>
    /// Writes the invocation's EMF lines, then flushes the OTLP exporters, all bounded by the time left before
    /// <paramref name="deadline"/> less <see cref="PostReserve"/>: an unreachable collector costs time, never the answer.
    /// </summary>
    public async Task FinishAsync(string requestId, DateTimeOffset? deadline)
    {
        _emf?.Flush();
        if (_tracer is null && _meter is null && _logs is null)
        {
            return;
        }

        var until = deadline - PostReserve ?? time.GetUtcNow() + FlushWithoutDeadline;
        var complete = await FlushAsync(until, timeout => _tracer?.ForceFlush(timeout) ?? true).ConfigureAwait(false)
            & await FlushAsync(until, timeout => _meter?.ForceFlush(timeout) ?? true).ConfigureAwait(false)
            & await FlushAsync(until, timeout => _logs?.ForceFlush(timeout) ?? true).ConfigureAwait(false);
        if (!complete)
        {
            Log.TelemetryNotFlushed(logger, requestId);
        }
    }

    private async Task<bool> FlushAsync(DateTimeOffset until, Func<int, bool> forceFlush)
    {
        var left = until - time.GetUtcNow();
        if (left < TimeSpan.FromMilliseconds(1))
        {
            return false;
        }

        // ForceFlush's timeout does not stop an export already waiting on the collector (the metric reader exports on
        // the calling thread), so the wait is bounded here; an export cut short goes on in the background.
        var flush = Task.Run(() => forceFlush((int)Math.Min(left.TotalMilliseconds, int.MaxValue)));
        try
        {
            return await flush.WaitAsync(left, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
