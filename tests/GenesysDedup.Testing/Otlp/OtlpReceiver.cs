using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GenesysDedup.Testing.Otlp;

/// <summary>
/// A real OTLP/HTTP collector for tests: a Kestrel server on a free loopback port that accepts
/// <c>POST /v1/traces</c>, <c>/v1/metrics</c> and <c>/v1/logs</c> in binary protobuf (what an exporter sends with
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>), decodes the fields tests look at, and keeps them. Point a host at
/// it with <c>OTEL_EXPORTER_OTLP_ENDPOINT=</c><see cref="Endpoint"/>. Waiting is on arrivals, never on a clock.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly Lock _sync = new();
    private readonly List<OtlpSpan> _spans = [];
    private readonly List<OtlpMetric> _metrics = [];
    private readonly List<OtlpLogRecord> _logs = [];
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _app;

    private OtlpReceiver()
    {
    }

    /// <summary>The base address, e.g. <c>http://127.0.0.1:54321/</c>: the value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every span received so far.</summary>
    public IReadOnlyList<OtlpSpan> Spans => Snapshot(_spans);

    /// <summary>Every metric received so far (one entry per metric per export).</summary>
    public IReadOnlyList<OtlpMetric> Metrics => Snapshot(_metrics);

    /// <summary>Every log record received so far.</summary>
    public IReadOnlyList<OtlpLogRecord> Logs => Snapshot(_logs);

    /// <summary>Starts a receiver on a free loopback port.</summary>
    public static async Task<OtlpReceiver> StartAsync(CancellationToken cancellationToken = default)
    {
        var receiver = new OtlpReceiver();
        (receiver._app, receiver.Endpoint) = await LoopbackWebApp.StartAsync(app =>
        {
            app.MapPost("/v1/traces", context => receiver.ReceiveAsync(context, OtlpDecoder.ReadTraces, receiver._spans));
            app.MapPost("/v1/metrics", context => receiver.ReceiveAsync(context, OtlpDecoder.ReadMetrics, receiver._metrics));
            app.MapPost("/v1/logs", context => receiver.ReceiveAsync(context, OtlpDecoder.ReadLogs, receiver._logs));
        }, cancellationToken).ConfigureAwait(false);
        return receiver;
    }

    /// <summary>Waits until <paramref name="done"/> holds for what was received, or <paramref name="timeout"/> passes (then throws).</summary>
    public async Task WaitUntilAsync(Func<OtlpReceiver, bool> done, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(done);
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            Task arrived;
            lock (_sync)
            {
                arrived = _arrived.Task;
            }

            if (done(this))
            {
                return;
            }

            try
            {
                await arrived.WaitAsync(cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                throw new TimeoutException($"the OTLP receiver did not get what was waited for within {timeout} (spans {Spans.Count}, metrics {Metrics.Count}, logs {Logs.Count})");
            }
        }
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ReceiveAsync<T>(HttpContext context, Func<byte[], List<T>> decode, List<T> into)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        var decoded = decode(body.ToArray());
        TaskCompletionSource arrived;
        lock (_sync)
        {
            into.AddRange(decoded);
            arrived = _arrived;
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        arrived.SetResult();
        // An empty Export*ServiceResponse: full success.
        context.Response.ContentType = "application/x-protobuf";
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private List<T> Snapshot<T>(List<T> list)
    {
        lock (_sync)
        {
            return [.. list];
        }
    }
}

/// <summary>One span as exported. Ids are lowercase hex; <see cref="ParentSpanId"/> is empty for a root span.</summary>
/// <param name="Kind">OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.</param>
/// <param name="StatusCode">0 unset, 1 ok, 2 error.</param>
public sealed record OtlpSpan(
    string Scope,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    int Kind,
    ulong StartNanos,
    ulong EndNanos,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<OtlpSpanEvent> Events,
    IReadOnlyList<OtlpSpanLink> Links,
    int StatusCode,
    string StatusMessage)
{
    /// <summary>The span as a W3C <c>traceparent</c> (sampled).</summary>
    public string TraceParent => string.Create(CultureInfo.InvariantCulture, $"00-{TraceId}-{SpanId}-01");
}

/// <summary>A span event (e.g. <c>exception</c> with <c>exception.type</c>, <c>exception.message</c>).</summary>
public sealed record OtlpSpanEvent(string Name, IReadOnlyDictionary<string, string> Attributes);

/// <summary>A span link to another span.</summary>
public sealed record OtlpSpanLink(string TraceId, string SpanId);

/// <summary>One metric of one export, with the attributes of each of its data points.</summary>
public sealed record OtlpMetric(string Scope, string Name, string Unit, IReadOnlyList<IReadOnlyDictionary<string, string>> Points);

/// <summary>One log record: its body (the formatted message or template) and attributes.</summary>
public sealed record OtlpLogRecord(string Body, IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>OTLP severity number: 9 info, 13 warn, 17 error, 21 fatal (0 when unset).</summary>
    public int SeverityNumber { get; init; }
}
