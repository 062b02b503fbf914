using System.Diagnostics;
using GenesysDedup.Domain;

namespace GenesysDedup.Application;

/// <summary>
/// The library's entry: delivers one event through dedup (parse, key, claim, run the handlers, complete or release).
/// Register it with <c>services.AddGenesysDedup(configuration)</c>; inject it where events arrive.
/// </summary>
public interface IEventDeduplicator
{
    /// <summary>Delivers one event, given as the UTF-8 JSON received.</summary>
    ValueTask<DedupResult> ProcessAsync(ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken = default);

    /// <summary>Delivers one event with what its transport knows of the delivery.</summary>
    ValueTask<DedupResult> ProcessAsync(ReadOnlyMemory<byte> utf8Json, DeliveryInfo delivery, CancellationToken cancellationToken = default);
}

/// <summary>What a transport knows of one delivery.</summary>
/// <param name="Lease">The claim's lease for this delivery; null uses <c>Dedup:Lease</c>. The Lambda host passes its deadline.</param>
/// <param name="Attempt">The sender's delivery count, when the transport reports one; handed to handlers.</param>
public readonly record struct DeliveryInfo(TimeSpan? Lease = null, int? Attempt = null)
{
    /// <summary>
    /// The parent of the <c>dedup.process</c> span when the transport carries one (the Lambda host: the X-Ray trace it
    /// is given); default = the current activity (the HTTP host: the ASP.NET Core request span).
    /// </summary>
    public ActivityContext ParentContext { get; init; }

    /// <summary>The kind of the <c>dedup.process</c> span: <see cref="ActivityKind.Consumer"/> for a queue or bus
    /// delivery without a request span around it; default <see cref="ActivityKind.Internal"/>.</summary>
    public ActivityKind SpanKind { get; init; }
}

/// <summary>What happened to one delivery, with what a host needs to answer it.</summary>
/// <param name="Outcome">The outcome; only <see cref="DedupOutcome.Processed"/> and <see cref="DedupOutcome.Duplicate"/> may be acknowledged.</param>
/// <param name="Key">The dedup key (unscoped), when one was resolved.</param>
/// <param name="EventId">The EventBridge envelope id, when present.</param>
/// <param name="Detail">A human-readable reason for any outcome but processed/duplicate; never payload contents.</param>
/// <param name="RetryAfter">For in_progress and store_unavailable: when a retry may succeed.</param>
public sealed record DedupResult(
    DedupOutcome Outcome,
    string? Key = null,
    string? EventId = null,
    string? Detail = null,
    TimeSpan? RetryAfter = null)
{
    /// <summary>How long a sender should wait after store_unavailable before retrying.</summary>
    public static readonly TimeSpan StoreRetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>The key source that gave <see cref="Key"/>.</summary>
    public string? KeySource { get; init; }

    /// <summary>For failed: the handler's exception; for store_unavailable: the store's.</summary>
    public Exception? Exception { get; init; }
}
