using GenesysDedup.Application;
using GenesysDedup.Domain;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddGenesysDedup(builder.Configuration)    // the Dedup section of appsettings.json
    .UseMemoryStore()
    .AddHandler<AuditTrail>();
var app = builder.Build();

// EventBridge API destination target: answer 200 only for processed and duplicate, so anything else is retried.
app.MapPost("/events", async (HttpRequest request, IEventDeduplicator dedup, CancellationToken cancellationToken) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body, cancellationToken);
    var result = await dedup.ProcessAsync(body.ToArray(), cancellationToken);
    var answer = new { outcome = result.Outcome.ToWireName(), key = result.Key, eventId = result.EventId };
    return result.Outcome.IsAcknowledged() ? Results.Ok(answer) : Results.Json(answer, statusCode: StatusCodeFor(result.Outcome));
});
app.Run();

static int StatusCodeFor(DedupOutcome outcome) => outcome switch
{
    DedupOutcome.Invalid => StatusCodes.Status400BadRequest,
    DedupOutcome.Conflict => StatusCodes.Status422UnprocessableEntity,
    DedupOutcome.InProgress => StatusCodes.Status429TooManyRequests,
    DedupOutcome.StoreUnavailable => StatusCodes.Status503ServiceUnavailable,
    _ => StatusCodes.Status500InternalServerError,
};

internal sealed class AuditTrail(ILogger<AuditTrail> logger) : IDedupHandler
{
    public ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken)
    {
        logger.LogInformation("Event {EventId} ({DetailType}) handled once", context.Event.Id, context.Event.DetailType);
        return ValueTask.CompletedTask;
    }
}
