using System.Collections.Concurrent;
using System.Diagnostics;
using GenesysDedup.Domain;
using GenesysDedup.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GenesysDedup.Application.Tests;

/// <summary>Not run beside other tests: a tracer listens to every engine in the process while it lives.</summary>
[CollectionDefinition(nameof(DedupTelemetryTests), DisableParallelization = true)]
public sealed class TelemetryTestsRunAlone;

/// <summary>The engine's spans and metrics, read with the OpenTelemetry in-memory exporter, for each outcome.</summary>
[Collection(nameof(DedupTelemetryTests))]
public sealed class DedupTelemetryTests : IDisposable
{
    private readonly List<Activity> _spans = [];
    private readonly List<Metric> _metrics = [];
    private readonly TracerProvider _tracer;
    private readonly MeterProvider _meter;

    public DedupTelemetryTests()
    {
        _tracer = Sdk.CreateTracerProviderBuilder().AddSource(DedupMetrics.MeterName).AddInMemoryExporter(_spans).Build();
        _meter = Sdk.CreateMeterProviderBuilder().AddMeter(DedupMetrics.MeterName).AddInMemoryExporter(_metrics).Build();
    }

    [Fact]
    public async Task Process_NewEvent_DeliverySpanDescribesItWithStoreAndHandlerChildren()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:Namespace"] = "crm" });
        var body = EventBuilder.UniqueGenesysEvent();

        var result = await engine.SendAsync(body);

        var process = ProcessSpan(result.Key!);
        Assert.Equal("processed", process.GetTagItem("genesys_dedup.outcome"));
        Assert.Equal("fingerprint", process.GetTagItem("genesys_dedup.key_source"));
        Assert.Equal("crm", process.GetTagItem("genesys_dedup.namespace"));
        Assert.Equal(result.EventId, process.GetTagItem("genesys_dedup.eventbridge_id"));
        Assert.NotNull(process.GetTagItem("genesys_dedup.topic"));
        Assert.NotNull(process.GetTagItem("genesys_dedup.detail_type"));
        Assert.Equal(ActivityKind.Internal, process.Kind);
        Assert.Equal(["dedup.store.claim", "dedup.handler", "dedup.store.complete"], ChildrenOf(process).Select(s => s.DisplayName));
        Assert.All(ChildrenOf(process).Where(s => s.DisplayName.StartsWith("dedup.store.", StringComparison.Ordinal)), s => Assert.Equal(ActivityKind.Client, s.Kind));
        Assert.Equal(nameof(ControllableHandler), ChildrenOf(process).Single(s => s.DisplayName == "dedup.handler").GetTagItem("genesys_dedup.handler"));
        Assert.Equal(process.Id, Assert.Single(engine.Store.Claims, c => c.Key.EndsWith(result.Key!, StringComparison.Ordinal)).TraceParent);
    }

    [Fact]
    public async Task Process_Duplicate_LinksToTheDeliveryThatProcessedIt()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        var first = await engine.SendAsync(body);

        var again = await engine.SendAsync(EventBuilder.Republish(body));

        var processed = ProcessSpan(first.Key!, "processed");
        var duplicate = ProcessSpan(again.Key!, "duplicate");
        Assert.NotEqual(processed.TraceId, duplicate.TraceId);
        var link = Assert.Single(duplicate.Links);
        Assert.Equal(processed.TraceId, link.Context.TraceId);
        Assert.Equal(processed.SpanId, link.Context.SpanId);
        Assert.Equal(["dedup.store.claim"], ChildrenOf(duplicate).Select(s => s.DisplayName));
    }

    [Fact]
    public async Task Process_InProgress_LinksToTheDeliveryHoldingTheLease()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        engine.Handler.CloseGate();
        var first = engine.SendAsync(body);
        await engine.Handler.WaitForArrivalAsync();

        var second = await engine.SendAsync(body);
        engine.Handler.OpenGate();
        var firstResult = await first;

        var blocked = ProcessSpan(second.Key!, "in_progress");
        var holder = ProcessSpan(firstResult.Key!, "processed");
        Assert.Equal(holder.SpanId, Assert.Single(blocked.Links).Context.SpanId);
    }

    [Fact]
    public async Task Process_HandlerFails_HandlerAndDeliverySpansAreErrorsWithTheExceptionEvent()
    {
        await using var engine = EngineHarness.Create();
        engine.Handler.FailNext("evt-telemetry-fails");

        var result = await engine.SendAsync(EventBuilder.Tutorial("evt-telemetry-fails"));

        Assert.Equal(DedupOutcome.Failed, result.Outcome);
        var process = ProcessSpan(result.Key!, "failed");
        var handler = ChildrenOf(process).Single(s => s.DisplayName == "dedup.handler");
        foreach (var span in new[] { process, handler })
        {
            Assert.Equal(ActivityStatusCode.Error, span.Status);
            var exception = Assert.Single(span.Events, e => e.Name == "exception");
            Assert.Equal(typeof(InvalidOperationException).FullName, exception.Tags.Single(t => t.Key == "exception.type").Value);
        }

        Assert.Contains(ChildrenOf(process), s => s.DisplayName == "dedup.store.release");
    }

    [Fact]
    public async Task Process_StoreDown_StoreAndDeliverySpansAreErrors()
    {
        await using var engine = EngineHarness.Create();
        engine.Store.Down = true;

        var result = await engine.SendAsync(EventBuilder.UniqueGenesysEvent());

        var process = ProcessSpan(result.Key!, "store_unavailable");
        var claim = Assert.Single(ChildrenOf(process));
        Assert.Equal("dedup.store.claim", claim.DisplayName);
        Assert.Equal(ActivityStatusCode.Error, claim.Status);
        Assert.Equal(ActivityStatusCode.Error, process.Status);
        Assert.Contains(process.Events, e => e.Name == "exception");
    }

    [Fact]
    public async Task Process_Invalid_SpanHasTheOutcomeAndNoKey()
    {
        await using var engine = EngineHarness.Create();

        var result = await engine.SendAsync("[1,2]"u8.ToArray());

        Assert.Equal(DedupOutcome.Invalid, result.Outcome);
        var process = Assert.Single(_spans, s => s.DisplayName == "dedup.process" && (string?)s.GetTagItem("genesys_dedup.outcome") == "invalid");
        Assert.Null(process.GetTagItem("genesys_dedup.key"));
        Assert.Empty(ChildrenOf(process));
    }

    [Fact]
    public async Task Process_TransportGivesAParent_IsItsChildOfThatKind()
    {
        await using var engine = EngineHarness.Create();
        var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);

        var result = await engine.Services.GetRequiredService<IEventDeduplicator>().ProcessAsync(
            EventBuilder.UniqueGenesysEvent(), new DeliveryInfo { ParentContext = parent, SpanKind = ActivityKind.Consumer });

        var process = ProcessSpan(result.Key!);
        Assert.Equal(parent.TraceId, process.TraceId);
        Assert.Equal(parent.SpanId, process.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, process.Kind);
    }

    [Fact]
    public async Task Process_SampledOutParent_NoChildSpansNoTagsAndTheRecordKeepsNoTraceContext()
    {
        await using var engine = EngineHarness.Create();
        var unsampled = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, isRemote: true);
        var started = new ConcurrentQueue<Activity>();
        using var observer = new ActivityListener
        {
            ShouldListenTo = source => source.Name == DedupMetrics.MeterName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStarted = started.Enqueue,
        };
        ActivitySource.AddActivityListener(observer);
        var body = EventBuilder.UniqueGenesysEvent();

        var result = await engine.Services.GetRequiredService<IEventDeduplicator>().ProcessAsync(body, new DeliveryInfo { ParentContext = unsampled });
        var again = await engine.SendAsync(EventBuilder.Republish(body));

        Assert.Equal(DedupOutcome.Processed, result.Outcome);
        var process = Assert.Single(started, a => a.TraceId == unsampled.TraceId); // the delivery span alone carries "not sampled" on
        Assert.Equal("dedup.process", process.OperationName);
        Assert.Empty(process.TagObjects);
        Assert.DoesNotContain(_spans, s => s.TraceId == unsampled.TraceId);
        Assert.Null(engine.Store.Claims.First(c => c.Key.EndsWith(result.Key!, StringComparison.Ordinal)).TraceParent);
        Assert.Empty(ProcessSpan(again.Key!, "duplicate").Links); // nothing recorded to link to
    }

    [Fact]
    public async Task Metrics_EachOutcome_CountedWithTheConventionalNamesAndUnits()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        await engine.SendAsync(body);
        await engine.SendAsync(body);
        engine.Handler.FailNext("evt-telemetry-metric");
        await engine.SendAsync(EventBuilder.Tutorial("evt-telemetry-metric"));

        _meter.ForceFlush();

        var events = Assert.Single(_metrics, m => m.Name == "genesys_dedup.events");
        Assert.Equal("{event}", events.Unit);
        Assert.Subset(new HashSet<string> { "processed", "duplicate", "failed" }, TagValues(events, "outcome"));
        var store = Assert.Single(_metrics, m => m.Name == "genesys_dedup.store.duration");
        Assert.Equal("s", store.Unit);
        Assert.Subset(new HashSet<string> { "claim", "complete", "release" }, TagValues(store, "operation"));
        Assert.Equal("s", Assert.Single(_metrics, m => m.Name == "genesys_dedup.handler.duration").Unit);
    }

    public void Dispose()
    {
        _tracer.Dispose();
        _meter.Dispose();
    }

    private Activity ProcessSpan(string key, string? outcome = null) => Assert.Single(
        _spans,
        s => s.DisplayName == "dedup.process" && (string?)s.GetTagItem("genesys_dedup.key") == key
            && (outcome is null || (string?)s.GetTagItem("genesys_dedup.outcome") == outcome));

    private List<Activity> ChildrenOf(Activity parent) =>
        [.. _spans.Where(s => s.ParentSpanId == parent.SpanId && s.TraceId == parent.TraceId)]; // in the order they ended

    private static HashSet<string> TagValues(Metric metric, string tag)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            foreach (var pair in point.Tags)
            {
                if (pair.Key == tag)
                {
                    values.Add((string)pair.Value!);
                }
            }
        }

        return values;
    }
}
