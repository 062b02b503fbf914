using GenesysDedup.Application;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Metrics;

// The content root is the host's own folder, not the working directory: its appsettings.json (which keeps the
// per-request Microsoft.AspNetCore lines at Warning) must apply however the host is started, e.g.
// `dotnet /opt/genesys-dedup/GenesysDedup.Hosts.Http.dll` from anywhere.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Deliberate limits: EventBridge sends its request in one go, so a client that sends more than EventBridge may, or
// dribbles, is broken or hostile and is cut off instead of holding a connection.
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    // A connection may also add up to 100 query-string parameters, each a key and a value of up to 512 characters:
    // 100 × 1026 = 102,600 bytes in plain ASCII, plus the destination's own URL. AWS counts them against a 64 KB total,
    // which percent-encoding can double; 128 KiB holds either.
    kestrel.Limits.MaxRequestLineSize = 128 * 1024;
    // A connection may add 100 header parameters, each a name and a value of up to 512 characters: 100 × 1028 bytes
    // with ": " and CRLF = 102,800. On top: EventBridge's own ~10 headers (~1 KB), the credential (Basic of 512 + 512
    // characters is at most 5,464 Base64 characters; a Bearer JWT usually 1-4 KB), and what a proxy in front adds.
    // 128 KiB holds all of it with ~15 KB to spare; 160 headers hold 100 + EventBridge's own + the rule target's
    // header parameters and proxy headers.
    kestrel.Limits.MaxRequestHeadersTotalSize = 128 * 1024;
    kestrel.Limits.MaxRequestHeaderCount = 160;
    kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(5);
    // Left unbounded, one client with enough idle sockets exhausts the file descriptors and memory and the host dies:
    // at most 1024 connections, and an idle one is closed after 15 s (Kestrel's own default is 130 s). Kestrel's own
    // keys override both; the slim builder binds no Kestrel:Limits section itself, so they are read here.
    var limits = builder.Configuration.GetSection("Kestrel:Limits");
    kestrel.Limits.MaxConcurrentConnections = limits.GetValue<long?>("MaxConcurrentConnections") ?? 1024;
    kestrel.Limits.KeepAliveTimeout = limits.GetValue<TimeSpan?>("KeepAliveTimeout") ?? TimeSpan.FromSeconds(15);
    kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(3));
});

builder.Services.AddGenesysDedupFromConfiguration(builder.Configuration);
builder.Services.AddGenesysDedupEvents(builder.Configuration);
builder.Services.AddHealthChecks().AddGenesysDedupStoreHealthCheck(tags: ["ready"]);
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
    .AddMeter(DedupMetrics.MeterName)
    .AddView("genesys_dedup.store.duration", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets.Seconds })
    .AddView("genesys_dedup.handler.duration", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets.Seconds })
    .AddPrometheusExporter());

var app = builder.Build();

app.MapGenesysDedupEvents("/events");
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
// Event counts and latencies are for the operator: with ingest auth configured, /metrics asks for the same
// credentials unless Http:PublicMetrics opens it (e.g. to a scraper inside a private network). Health stays open for
// load balancers; /health/ready answers from a shared store check at most 2 s old.
var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
if (!app.Configuration.GetValue<bool>("Http:PublicMetrics"))
{
    metrics.RequireGenesysDedupAuth();
}

app.Run();

/// <summary>The entry point; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;

internal static class LatencyBuckets
{
    // Store calls take ~0.1–5 ms; handlers up to the 3 s downstream timeout.
    public static readonly double[] Seconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
}
