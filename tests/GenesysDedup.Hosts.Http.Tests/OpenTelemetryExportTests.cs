using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;
using GenesysDedup.Testing;
using GenesysDedup.Testing.Otlp;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// The built host, as a process, exporting to a real OTLP/HTTP receiver because <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// points at it: an inbound <c>traceparent</c> is the root of the delivery's trace, the <c>http</c> handler's call
/// carries it on, a duplicate's span links to the processing one, and no payload or secret reaches spans, metric tags
/// or exported logs.
/// </summary>
public sealed class OpenTelemetryExportTests
{
    private const string ApiKey = "otel-key-81d2-never-exported";
    private const string Marker = "PAYLD-otel-9e4"; // in the event body only
    private const string InboundTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string InboundSpanId = "00f067aa0ba902b7";
    private static readonly TimeSpan ExportWait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Export_EndpointSet_TracesMetricsAndLogsReachTheCollectorWithoutPayloadOrSecret()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var downstream = await CountingDownstream.StartAsync();
        await using var host = await RunningHost.StartAsync(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.AbsoluteUri.TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            ["Http__ApiKey"] = ApiKey,
            ["Handler__Kind"] = "http",
            ["Handler__Http__Url"] = downstream.Url.AbsoluteUri,
        });
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", ApiKey);
        var body = Encoding.UTF8.GetBytes(Samples.Text(Samples.Audit).Replace("Senior Agent", Marker, StringComparison.Ordinal));

        using var first = new HttpRequestMessage(HttpMethod.Post, new Uri("/events", UriKind.Relative)) { Content = new ByteArrayContent(body) };
        first.Headers.Add("traceparent", $"00-{InboundTraceId}-{InboundSpanId}-01");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(first)).StatusCode);
        Assert.Equal("duplicate", await (await client.PostEventAsync(body)).OutcomeAsync());
        downstream.AnswerNext("evt-otel-" + Marker, HttpStatusCode.InternalServerError);
        Assert.Equal("failed", await (await client.PostEventAsync(EventBuilder.Tutorial("evt-otel-" + Marker, Marker))).OutcomeAsync());

        await receiver.WaitUntilAsync(
            r => r.Spans.Count(s => s.Name == "dedup.process") >= 3
                && r.Spans.Count(s => s.Scope == "Microsoft.AspNetCore" && s.Name == "POST /events") >= 3 // each ends after its response
                && r.Metrics.Any(m => m.Name == "genesys_dedup.events" && m.Points.Any(p => p.GetValueOrDefault("outcome") == "failed"))
                && r.Logs.Count > 0,
            ExportWait);
        var spans = receiver.Spans;
        var processes = spans.Where(s => s.Name == "dedup.process").ToList();
        var processed = Assert.Single(processes, s => s.Attributes.GetValueOrDefault("genesys_dedup.outcome") == "processed");
        var duplicate = Assert.Single(processes, s => s.Attributes.GetValueOrDefault("genesys_dedup.outcome") == "duplicate");
        var failed = Assert.Single(processes, s => s.Attributes.GetValueOrDefault("genesys_dedup.outcome") == "failed");

        // Inbound traceparent → request span → dedup.process → dedup.handler → the handler's HTTP call → downstream.
        Assert.Equal(InboundTraceId, processed.TraceId);
        var request = Assert.Single(spans, s => s.SpanId == processed.ParentSpanId);
        Assert.Equal(InboundSpanId, request.ParentSpanId);
        Assert.Equal("Microsoft.AspNetCore", request.Scope);
        Assert.Equal("POST", request.Attributes.GetValueOrDefault("http.request.method"));
        Assert.Equal("POST /events", request.Name);
        Assert.Equal("/events", request.Attributes.GetValueOrDefault("url.path"));
        Assert.Equal("/events", request.Attributes.GetValueOrDefault("http.route"));
        Assert.Equal("200", request.Attributes.GetValueOrDefault("http.response.status_code"));
        Assert.Equal("GenesysDedup", processed.Scope);
        Assert.Contains(spans, s => s.Name == "dedup.store.claim" && s.ParentSpanId == processed.SpanId && s.Kind == 3);
        Assert.Contains(spans, s => s.Name == "dedup.store.complete" && s.ParentSpanId == processed.SpanId);
        var handler = Assert.Single(spans, s => s.Name == "dedup.handler" && s.ParentSpanId == processed.SpanId);
        var delivered = Assert.Single(downstream.Deliveries, d => d.Key == processed.Attributes["genesys_dedup.key"]);
        Assert.StartsWith($"00-{InboundTraceId}-", delivered.TraceParent, StringComparison.Ordinal);
        Assert.Contains(spans, s => s.ParentSpanId == handler.SpanId && $"00-{s.TraceId}-{s.SpanId}-01" == delivered.TraceParent);

        // The duplicate's own trace links to the delivery that processed the event.
        Assert.NotEqual(processed.TraceId, duplicate.TraceId);
        Assert.Contains(new OtlpSpanLink(processed.TraceId, processed.SpanId), duplicate.Links);

        // A failed handler: status Error with the exception event, on the handler span and the delivery span; its
        // request span (answered 500) is failed too, the processed one (200) is not.
        Assert.Equal(2, failed.StatusCode);
        Assert.Contains(failed.Events, e => e.Name == "exception" && e.Attributes.ContainsKey("exception.type"));
        var failedRequest = Assert.Single(spans, s => s.SpanId == failed.ParentSpanId);
        Assert.Equal(("500", "500", 2), (failedRequest.Attributes.GetValueOrDefault("http.response.status_code"), failedRequest.Attributes.GetValueOrDefault("error.type"), failedRequest.StatusCode));
        Assert.NotEqual(2, request.StatusCode);

        // Logs are exported from Warning up (the failed delivery's line), not the host's Information lines.
        Assert.Contains(receiver.Logs, l => l.Attributes.GetValueOrDefault("Outcome") == "failed");
        Assert.All(receiver.Logs, l => Assert.True(l.SeverityNumber >= 13, $"exported below Warning: {l.Body}"));

        AssertDrawsTheTraces(spans);

        var exported = string.Join('\n', spans.SelectMany(s => s.Attributes.Values.Concat(s.Events.SelectMany(e => e.Attributes.Values)).Append(s.StatusMessage)))
            + string.Join('\n', receiver.Metrics.SelectMany(m => m.Points.SelectMany(p => p.Values)))
            + string.Join('\n', receiver.Logs.SelectMany(l => l.Attributes.Values.Append(l.Body)));
        Assert.Contains("evt-otel-" + Marker, exported); // the capture works: the failed event's key is there
        Assert.DoesNotContain(ApiKey, exported);
        Assert.DoesNotContain(Marker, exported.Replace("evt-otel-" + Marker, string.Empty, StringComparison.Ordinal));
        Assert.DoesNotContain("Bob Agent", exported);
    }

    /// <summary>
    /// What scripts/trace-picture.sh draws for docs/observability.md, from this export: the processed delivery's span
    /// with its store and handler spans indented under it, and the duplicate's link drawn as an arrow.
    /// </summary>
    private static void AssertDrawsTheTraces(IReadOnlyList<OtlpSpan> spans)
    {
        var svg = XDocument.Parse(TraceSvg.Draw(spans));
        var rows = svg.Descendants().Where(e => e.Name.LocalName == "text" && e.Value.StartsWith("dedup.", StringComparison.Ordinal))
            .Select(e => (Name: e.Value, X: double.Parse(e.Attribute("x")!.Value, CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(["dedup.process", "dedup.store.claim", "dedup.handler", "dedup.store.complete"], rows.Take(4).Select(r => r.Name));
        Assert.All(rows.Skip(1).Take(3), row => Assert.Equal(rows[0].X + TraceSvg.Indent, row.X));
        Assert.Equal(3, rows.Count(r => r.Name == "dedup.process"));
        Assert.Single(svg.Descendants(), e => e.Name.LocalName == "path" && e.Attribute("marker-end") is not null);
    }
}
