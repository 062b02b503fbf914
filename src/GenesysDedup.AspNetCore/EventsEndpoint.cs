using System.Buffers;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenesysDedup.AspNetCore;

/// <summary>One EventBridge API-destination push, answered by outcome: 2xx only for processed and duplicate.</summary>
internal sealed partial class EventsEndpoint(
    IEventDeduplicator deduplicator,
    RequestAuthenticator authenticator,
    DedupMetrics metrics,
    IOptions<DedupOptions> dedup,
    IOptions<GenesysDedupEventsOptions> options,
    IMeterFactory meterFactory,
    ILogger<EventsEndpoint> logger)
{
    private static readonly DedupResult Invalid = new(DedupOutcome.Invalid);

    private readonly Counter<long> _incompleteBodies = meterFactory.Create(DedupMetrics.MeterName)
        .CreateCounter<long>("genesys_dedup.http.incomplete_bodies", unit: "{request}", description: "Request bodies that did not arrive whole (too slow, or the client went away), answered 408.");

    /// <summary>The endpoint's <see cref="RequestDelegate"/>: no reflection-built delegate, so it trims.</summary>
    public static async Task HandleAsync(HttpContext context) =>
        await (await context.RequestServices.GetRequiredService<EventsEndpoint>().ProcessAsync(context).ConfigureAwait(false))
            .ExecuteAsync(context).ConfigureAwait(false);

    private async Task<IResult> ProcessAsync(HttpContext context)
    {
        if (!await authenticator.IsAuthorizedAsync(context).ConfigureAwait(false))
        {
            return Unauthorized(context, authenticator);
        }

        // The Content-Type is not checked: an EventBridge connection may set its own, and refusing it (415) is not
        // retried, so the event would be dead-lettered. The body is parsed as UTF-8 JSON whatever the header says.
        var maxBytes = options.Value.MaxBodyBytes ?? dedup.Value.MaxEventBytes;
        ArraySegment<byte>? body;
        try
        {
            body = await ReadBodyAsync(context.Request, maxBytes, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (IncompleteBodyReason(ex, context) is { } reason)
        {
            // A client that stalls on purpose, over and over, must not fill the error log with stack traces.
            _incompleteBodies.Add(1, new KeyValuePair<string, object?>("reason", reason));
            LogIncompleteBody(logger, reason);
            return Problem(StatusCodes.Status408RequestTimeout, "Request timeout",
                "the request body did not arrive whole; nothing was processed", Invalid);
        }

        if (body is not { Array: { } rented } read)
        {
            metrics.EventDelivered(DedupOutcome.Invalid);
            var key = options.Value.MaxBodyBytes is null ? "Dedup:MaxEventBytes" : "Http:MaxBodyBytes";
            return Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large",
                $"the body exceeds {key} ({maxBytes} bytes)", Invalid);
        }

        try
        {
            return ToHttp(context, await deduplicator.ProcessAsync(read, context.RequestAborted).ConfigureAwait(false));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The whole body in a rented array (returned by the caller), or null when it is over the limit.</summary>
    private static async Task<ArraySegment<byte>?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                var length = (int)buffer.Length; // read before AdvanceTo, which hands the segments back to the pipe
                var rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                buffer.CopyTo(rented);
                reader.AdvanceTo(buffer.End);
                return new ArraySegment<byte>(rented, 0, length);
            }

            // Nothing consumed yet: ask for more until the body completes or passes the limit.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    // Kestrel ends a body that arrives slower than its minimum data rate with a 408 BadHttpRequestException; a client
    // that disconnects mid-body surfaces as an aborted request or a reset connection.
    private static string? IncompleteBodyReason(Exception ex, HttpContext context) => ex switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } => "too_slow",
        OperationCanceledException when context.RequestAborted.IsCancellationRequested => "aborted",
        IOException => "aborted",
        _ => null,
    };

    /// <summary>401 with a challenge for every configured scheme.</summary>
    internal static IResult Unauthorized(HttpContext context, RequestAuthenticator authenticator)
    {
        authenticator.Challenge(context);
        return Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "missing or wrong credentials", Invalid);
    }

    private static IResult ToHttp(HttpContext context, DedupResult result)
    {
        if (result.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return result.Outcome switch
        {
            DedupOutcome.Processed or DedupOutcome.Duplicate => TypedResults.Json(
                new EventResponse(result.Outcome.ToWireName(), result.Key, result.EventId), EventsJsonContext.Default.EventResponse),
            DedupOutcome.InProgress => Problem(StatusCodes.Status429TooManyRequests, "In progress", result.Detail, result),
            DedupOutcome.Failed => Problem(StatusCodes.Status500InternalServerError, "Handler failed", result.Detail, result),
            DedupOutcome.StoreUnavailable => Problem(StatusCodes.Status503ServiceUnavailable, "Store unavailable", result.Detail, result),
            DedupOutcome.Conflict => Problem(StatusCodes.Status422UnprocessableEntity, "Key conflict", result.Detail, result),
            _ => Problem(StatusCodes.Status400BadRequest, "Invalid event", result.Detail, result),
        };
    }

    private static ProblemHttpResult Problem(int status, string title, string? detail, DedupResult result)
    {
        var extensions = new Dictionary<string, object?> { ["outcome"] = result.Outcome.ToWireName() };
        if (result.Key is { } key)
        {
            extensions["key"] = key;
        }

        if (result.EventId is { } eventId)
        {
            extensions["eventId"] = eventId;
        }

        return TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);
    }

    [LoggerMessage(1, LogLevel.Debug, "Request body did not arrive whole ({Reason}); answered 408")]
    private static partial void LogIncompleteBody(ILogger logger, string reason);
}

internal sealed record EventResponse(string Outcome, string? Key, string? EventId);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventResponse))]
internal sealed partial class EventsJsonContext : JsonSerializerContext;
