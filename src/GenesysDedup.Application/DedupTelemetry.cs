using System.Diagnostics;
using GenesysDedup.Domain;

namespace GenesysDedup.Application;

/// <summary>
/// The one <see cref="ActivitySource"/>, named like the meter (<see cref="DedupMetrics.MeterName"/>), with the span and
/// attribute names of docs/observability.md. With nobody listening nothing is started; a delivery the sampler left out
/// (an activity that only carries the context on) gets no children, tags, link or stored trace context.
/// </summary>
internal static class DedupTelemetry
{
    public static readonly ActivitySource Source = new(DedupMetrics.MeterName);

    public const string ProcessSpan = "dedup.process";
    public const string HandlerSpan = "dedup.handler";

    /// <summary>The span of a store call by its operation (the <c>operation</c> tag of the store duration metric).</summary>
    public static string StoreSpan(string operation) => operation switch
    {
        "claim" => "dedup.store.claim",
        "complete" => "dedup.store.complete",
        "release" => "dedup.store.release",
        _ => "dedup.store." + operation,
    };

    public const string Key = "genesys_dedup.key";
    public const string KeySource = "genesys_dedup.key_source";
    public const string Topic = "genesys_dedup.topic";
    public const string DetailType = "genesys_dedup.detail_type";
    public const string EventBridgeId = "genesys_dedup.eventbridge_id";
    public const string Outcome = "genesys_dedup.outcome";
    public const string Namespace = "genesys_dedup.namespace";
    public const string Handler = "genesys_dedup.handler";

    /// <summary>Starts the delivery span under the transport's parent, or under the current activity when it gives none.</summary>
    public static Activity? StartProcess(DeliveryInfo delivery) =>
        Source.StartActivity(ProcessSpan, delivery.SpanKind, delivery.ParentContext);

    /// <summary>
    /// A child of the current span (a store call, a handler), unless that span was sampled out: its children would
    /// be sampled out too, and the current span already carries the context on to an outbound call.
    /// </summary>
    public static Activity? StartChild(string name, ActivityKind kind = ActivityKind.Internal) =>
        Activity.Current is { IsAllDataRequested: false } ? null : Source.StartActivity(name, kind);

    /// <summary>The span when it records what it is given; null when there is none or the sampler left it out.</summary>
    public static Activity? Recording(Activity? activity) => activity is { IsAllDataRequested: true } ? activity : null;

    /// <summary>The W3C <c>traceparent</c> a record keeps for later links: only a recorded span's, the rest lead nowhere.</summary>
    public static string? TraceParent(Activity? activity) => activity is { Recorded: true } ? activity.Id : null;

    /// <summary>What the delivery is about, once its key is known. Never the payload.</summary>
    public static void Describe(Activity activity, DedupEvent dedupEvent, DedupKey key, string ns)
    {
        activity.SetTag(Key, key.Value);
        activity.SetTag(KeySource, key.Source);
        activity.SetTag(Topic, dedupEvent.TopicName);
        activity.SetTag(DetailType, dedupEvent.DetailType);
        activity.SetTag(EventBridgeId, dedupEvent.Id);
        activity.SetTag(Namespace, ns);
    }

    /// <summary>Sets the outcome; a delivery that was not processed for a fault (handler or store) is an error.</summary>
    public static void Finish(Activity activity, DedupResult result)
    {
        activity.SetTag(Outcome, result.Outcome.ToWireName());
        if (result.Exception is { } ex)
        {
            RecordException(activity, ex);
        }
    }

    /// <summary>Links the delivery span to the trace that claimed the record it met, when the store kept it.</summary>
    public static void LinkTo(Activity activity, string? traceParent)
    {
        if (ActivityContext.TryParse(traceParent, null, isRemote: true, out var context))
        {
            activity.AddLink(new ActivityLink(context));
        }
    }

    /// <summary>
    /// The OpenTelemetry exception convention: status Error and an <c>exception</c> event (type, message, stack trace).
    /// False, so it serves as an exception filter that records and lets the exception pass.
    /// </summary>
    public static bool RecordException(Activity? activity, Exception exception)
    {
        if (Recording(activity) is { } recording)
        {
            recording.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            recording.AddException(exception);
        }

        return false;
    }
}
