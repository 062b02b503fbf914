using GenesysDedup.Application;
using GenesysDedup.Hosting;
using GenesysDedup.Hosts.Http;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

// The content root is the host's own folder, not the working directory: its appsettings.json (which keeps the
// per-request Microsoft.AspNetCore lines at Warning) must apply however the host is started, e.g.
// `dotnet /opt/genesys-dedup/GenesysDedup.Hosts.Http.dll` from anywhere.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Deliberate limits: EventBridge sends about ten small headers and a body of at most 256 KB in one go, so a client
// that sends more, or dribbles, is broken or hostile and is cut off instead of holding a connection.
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxRequestLineSize = 4 * 1024;
    kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
    kestrel.Limits.MaxRequestHeaderCount = 50;
    kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(5);
    kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(3));
});

builder.Services.AddGenesysDedupFromConfiguration(builder.Configuration);
builder.Services.AddOptions<HttpHostOptions>().BindConfiguration(HttpHostOptions.SectionName).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<HttpHostOptions>, HttpHostOptionsChecks>();
builder.Services.AddSingleton<RequestAuthenticator>();
builder.Services.AddProblemDetails();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HostJsonContext.Default));
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
    .AddMeter(DedupMetrics.MeterName)
    .AddView("genesys_dedup.store.duration", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets.Seconds })
    .AddView("genesys_dedup.handler.duration", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets.Seconds })
    .AddPrometheusExporter());

var app = builder.Build();

app.MapPost("/events", EventsEndpoint.HandleAsync);
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(DedupStoreHealthCheck.ReadyTag) });
app.MapPrometheusScrapingEndpoint("/metrics");

app.Run();

/// <summary>The entry point; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;

internal static class LatencyBuckets
{
    // Store calls take ~0.1–5 ms; handlers up to the 3 s downstream timeout.
    public static readonly double[] Seconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
}
