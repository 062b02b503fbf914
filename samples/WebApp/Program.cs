using GenesysDedup.Domain;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddGenesysDedup(builder.Configuration)    // the Dedup section of appsettings.json
    .UseMemoryStore()
    .AddHandler<AuditTrail>();
builder.Services.AddGenesysDedupEvents(builder.Configuration);   // the Http section: auth and body limit
builder.Services.AddHealthChecks().AddGenesysDedupStoreHealthCheck();
var app = builder.Build();

// The EventBridge API destination's target: 200 only for processed and duplicate, so anything else is retried.
app.MapGenesysDedupEvents("/events");
app.MapHealthChecks("/health/ready");
app.Run();

internal sealed class AuditTrail(ILogger<AuditTrail> logger) : IDedupHandler
{
    public ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken)
    {
        logger.LogInformation("Event {EventId} ({DetailType}) handled once", context.Event.Id, context.Event.DetailType);
        return ValueTask.CompletedTask;
    }
}
