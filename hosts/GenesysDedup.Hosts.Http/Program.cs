using GenesysDedup.Hosts.Http;
using GenesysDedup.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

// The content root is the host's own folder, not the working directory: its appsettings.json (which keeps the
// per-request Microsoft.AspNetCore lines at Warning) must apply however the host is started, e.g.
// `dotnet /opt/genesys-dedup/GenesysDedup.Hosts.Http.dll` from anywhere.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// EventBridge sends its request in one go: a client that sends more than EventBridge may, or dribbles, is cut off.
// Why each figure: src/GenesysDedup.AspNetCore/README.md, "Kestrel limits".
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxRequestLineSize = 128 * 1024;
    kestrel.Limits.MaxRequestHeadersTotalSize = 128 * 1024;
    kestrel.Limits.MaxRequestHeaderCount = 160;
    kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(5);
    // Kestrel's own keys override these two; the slim builder binds no Kestrel:Limits section itself.
    var limits = builder.Configuration.GetSection("Kestrel:Limits");
    kestrel.Limits.MaxConcurrentConnections = limits.GetValue<long?>("MaxConcurrentConnections") ?? 1024;
    kestrel.Limits.KeepAliveTimeout = limits.GetValue<TimeSpan?>("KeepAliveTimeout") ?? TimeSpan.FromSeconds(15);
    kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(3));
});

// HTTPS from the standard Kestrel keys (Kestrel:Certificates:Default:Path/Password, Kestrel:Endpoints), which the slim
// builder leaves out: an API destination calls HTTPS endpoints only, and not every deployment has a proxy to end TLS.
builder.WebHost.UseKestrelHttpsConfiguration();

// With no Dedup:Store, the durable file store: one node keeps its keys across restarts with no server to run.
builder.Services.AddGenesysDedupFromConfiguration(builder.Configuration, defaultStore: GenesysDedup.Hosting.StoreKinds.Sqlite);
builder.Services.AddGenesysDedupEvents(builder.Configuration);
builder.Services.AddHealthChecks().AddGenesysDedupStoreHealthCheck(tags: ["ready"]);
// Prometheus /metrics always; OTLP export of each signal only when an OTEL_EXPORTER_OTLP_*ENDPOINT names a collector.
// Traces: ASP.NET Core's own request span (its inbound traceparent honoured, its HTTP attributes from
// UseRequestSpanAttributes) is the parent of dedup.process, and .NET's own client span carries the http
// handler's traceparent on. Listening to the two sources directly skips the instrumentation packages' diagnostic
// events, which every request paid for, sampled or not.
var traced = OtlpExport.IsOn(builder.Configuration, OtlpExport.Traces);
var telemetry = builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
{
    metrics.AddGenesysDedupMeter().AddPrometheusExporter();
    if (OtlpExport.IsOn(builder.Configuration, OtlpExport.Metrics))
    {
        metrics.AddOtlpExporter();
    }
});
if (traced)
{
    telemetry.WithTracing(tracing => tracing.AddSource("Microsoft.AspNetCore", "System.Net.Http").AddGenesysDedupOtlpTracing());
}

if (OtlpExport.IsOn(builder.Configuration, OtlpExport.Logs))
{
    telemetry.WithLogging(logging => logging.AddGenesysDedupOtlpLogs());
}

var app = builder.Build();
if (traced)
{
    app.UseRequestSpanAttributes();
}

app.MapGenesysDedupEvents("/events");
app.MapGenesysDedupAdmin("/admin"); // only with Http:AdminApiKey set; x-admin-key on every request
// Health stays open for load balancers; /health/ready answers from a shared store check at most 2 s old.
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
// Counts and latencies are for the operator: /metrics asks for the ingest credentials unless Http:PublicMetrics
// opens it (e.g. to a scraper inside a private network).
var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
if (!app.Configuration.GetValue<bool>("Http:PublicMetrics"))
{
    metrics.RequireGenesysDedupAuth();
}

app.Run();

/// <summary>The entry point; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
