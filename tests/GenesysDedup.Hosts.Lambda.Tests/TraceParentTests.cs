using System.Collections.Concurrent;
using System.Diagnostics;
using GenesysDedup.Application;
using GenesysDedup.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>The X-Ray trace Lambda hands over is the parent of each delivery's <c>dedup.process</c> span (in process, with a listener).</summary>
public sealed class TraceParentTests : IAsyncDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;
    private readonly ServiceProvider _services;

    public TraceParentTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == DedupMetrics.MeterName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
        _services = InProcessLambda.Compose().BuildServiceProvider();
        Handler = _services.GetRequiredService<InvocationHandler>();
    }

    private InvocationHandler Handler { get; }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task Handle_EventWithTraceHeader_IsAConsumerSpanUnderTheXRayParent()
    {
        var (traceId, parentId) = (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
        var header = $"Root=1-{traceId[..8]}-{traceId[8..]};Parent={parentId};Sampled=1";

        await Handler.HandleAsync(new Invocation(Guid.NewGuid().ToString(), null, header, EventBuilder.UniqueGenesysEvent()));

        var span = Assert.Single(_spans, s => s.OperationName == "dedup.process" && s.TraceId.ToHexString() == traceId);
        Assert.Equal(parentId, span.ParentSpanId.ToHexString());
        Assert.True(span.HasRemoteParent);
        Assert.Equal(ActivityKind.Consumer, span.Kind);
    }

    [Fact]
    public async Task Handle_SqsBatch_EveryRecordsSpanIsUnderTheXRayParent()
    {
        var (traceId, parentId) = (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
        var batch = new SqsBatchBuilder();
        batch.Add(EventBuilder.UniqueGenesysEvent());
        batch.Add(EventBuilder.UniqueGenesysEvent());

        await Handler.HandleAsync(new Invocation(Guid.NewGuid().ToString(), null, $"Parent={parentId};Root=1-{traceId[..8]}-{traceId[8..]}", batch.Build()));

        var spans = _spans.Where(s => s.OperationName == "dedup.process" && s.TraceId.ToHexString() == traceId).ToList();
        Assert.Equal(2, spans.Count);
        Assert.All(spans, span => Assert.Equal(parentId, span.ParentSpanId.ToHexString()));
    }

    [Fact]
    public async Task Handle_MalformedTraceHeader_StartsANewTrace()
    {
        var eventId = $"evt-{Guid.NewGuid():N}";

        var result = await Handler.HandleAsync(new Invocation(Guid.NewGuid().ToString(), null, "Root=1-nothex;Parent=;Sampled=1", EventBuilder.Tutorial(eventId)));

        Assert.NotNull(result.Response);
        var span = Assert.Single(_spans, s => s.OperationName == "dedup.process" && (s.GetTagItem("genesys_dedup.key") as string)?.Contains(eventId, StringComparison.Ordinal) == true);
        Assert.Equal(default, span.ParentSpanId);
        Assert.NotEqual(default, span.TraceId);
    }
}
