using GenesysDedup.Domain;
using Mediator;

namespace GenesysDedup.Application;

/// <summary>
/// Deliver one event through dedup: the single request both hosts send. The pipeline (see
/// <see cref="GenesysDedupServiceCollectionExtensions"/>) parses it, resolves its key, claims it, runs the handlers
/// and completes or releases the claim.
/// </summary>
/// <param name="Body">The event's UTF-8 JSON, as received.</param>
public sealed record ProcessEvent(ReadOnlyMemory<byte> Body) : IRequest<DedupResult>
{
    /// <summary>The claim's lease for this delivery; null uses <c>Dedup:Lease</c>. The Lambda host passes its deadline.</summary>
    public TimeSpan? Lease { get; init; }

    /// <summary>Set by the parse step for the steps after it.</summary>
    internal DedupEvent? Event { get; init; }

    /// <summary>Set by the key step for the steps after it.</summary>
    internal DedupKey? Key { get; init; }

    internal DedupEvent ParsedEvent => Event ?? throw new InvalidOperationException("the parse step has not run");

    internal DedupKey ResolvedKey => Key ?? throw new InvalidOperationException("the key step has not run");
}

/// <summary>What happened to one delivery, with what a host needs to answer it.</summary>
/// <param name="Key">The dedup key (unscoped), when one was resolved.</param>
/// <param name="EventId">The EventBridge envelope id, when present.</param>
/// <param name="Detail">A human-readable reason for any outcome but processed/duplicate; never payload contents.</param>
/// <param name="RetryAfter">For in_progress and store_unavailable: when a retry may succeed.</param>
public readonly record struct DedupResult(
    DedupOutcome Outcome,
    string? Key = null,
    string? EventId = null,
    string? Detail = null,
    TimeSpan? RetryAfter = null)
{
    /// <summary>How long a sender should wait after store_unavailable before retrying.</summary>
    public static readonly TimeSpan StoreRetryAfter = TimeSpan.FromSeconds(2);
}
