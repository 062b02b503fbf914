using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GenesysDedup.Testing;
using GenesysDedup.Testing.Otlp;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>The built host's telemetry as Lambda sees it: EMF lines on stdout, and an OTLP flush that never costs the answer.</summary>
public sealed class TelemetryProcessTests
{
    private const string FunctionName = "genesys-dedup-process-test";

    [Fact]
    public async Task Invoke_InLambda_WritesValidEmfLinesWithoutThePayload()
    {
        await using var harness = await LambdaHarness.StartAsync(new Dictionary<string, string?> { [LambdaTelemetry.FunctionNameVariable] = FunctionName });
        var marker = $"secret-{Guid.NewGuid():N}";

        var reply = await harness.InvokeAsync(EventBuilder.UniqueGenesysEvent(marker));
        await harness.Host.WaitForOutputAsync("\"_aws\"");

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        var line = Assert.Single(EmfSpec.Lines(harness.Host.Output));
        var root = EmfSpec.AssertValid(line);
        Assert.Equal(FunctionName, root.GetProperty("FunctionName").GetString());
        Assert.Equal("processed", root.GetProperty("Outcome").GetString());
        Assert.DoesNotContain(marker, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_OutsideLambda_WritesNoEmf()
    {
        await using var harness = await LambdaHarness.StartAsync();

        var reply = await harness.InvokeAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        Assert.Empty(EmfSpec.Lines(harness.Host.Output));
    }

    [Fact]
    public async Task Invoke_WithOtlpEndpoint_HasExportedTheSpanUnderTheXRayTraceBeforeAnswering()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var harness = await LambdaHarness.StartAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.AbsoluteUri.TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        var (traceId, parentId) = (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
        var marker = $"secret-{Guid.NewGuid():N}";

        var requestId = harness.Runtime.Enqueue(EventBuilder.UniqueGenesysEvent(marker), traceId: $"Root=1-{traceId[..8]}-{traceId[8..]};Parent={parentId};Sampled=1");
        var reply = await harness.ReplyAsync(requestId);

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        // No waiting: the flush ran before the result was posted.
        var span = Assert.Single(receiver.Spans, s => s.Name == "dedup.process");
        Assert.Equal(traceId, span.TraceId);
        Assert.Equal(parentId, span.ParentSpanId);
        Assert.Equal(5, span.Kind); // consumer
        Assert.Equal("processed", span.Attributes["genesys_dedup.outcome"]);
        Assert.All(receiver.Spans, s => Assert.Equal(traceId, s.TraceId));
        Assert.DoesNotContain(receiver.Spans.SelectMany(s => s.Attributes.Values), value => value.Contains(marker, StringComparison.Ordinal));
        Assert.Contains(receiver.Metrics, m => m.Name == "genesys_dedup.events");
        // The http handler's POST is a client span under dedup.handler, and its traceparent names that span.
        var handler = Assert.Single(receiver.Spans, s => s.Name == "dedup.handler");
        var delivered = Assert.Single(harness.Downstream.Deliveries);
        var post = Assert.Single(receiver.Spans, s => s.TraceParent == delivered.TraceParent);
        Assert.Equal(handler.SpanId, post.ParentSpanId);
        Assert.Equal(3, post.Kind); // client
    }

    [Fact]
    public async Task Invoke_UnsampledXRayTrace_ExportsNoSpan()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var harness = await LambdaHarness.StartAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.AbsoluteUri.TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });

        // The fake's default header says Sampled=0; the default sampler follows the parent.
        var reply = await harness.InvokeAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        Assert.Contains(receiver.Metrics, m => m.Name == "genesys_dedup.events");
        Assert.Empty(receiver.Spans);
    }

    [Fact]
    public async Task Invoke_OtlpEndpointThatNeverAnswers_IsAnsweredAfterAFlushCutShortByTheDeadline()
    {
        // Connections are queued by the kernel and never read: every export waits for its own timeout (a minute here,
        // longer than the harness waits for a reply), so only the deadline (10 s away) can end the flush.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var harness = await LambdaHarness.StartAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "60000",
            ["OTEL_TRACES_SAMPLER"] = "always_on",
        });

        var reply = await harness.InvokeAsync(EventBuilder.UniqueGenesysEvent(), timeout: TimeSpan.FromSeconds(10));

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        using var response = JsonDocument.Parse(reply.Body);
        Assert.Equal("processed", response.RootElement.GetProperty("outcome").GetString());
        // The flush was cut short, and said so.
        await harness.Host.WaitForOutputAsync("the OTLP export did not finish before the deadline");
    }
}
