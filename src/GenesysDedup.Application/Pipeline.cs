using GenesysDedup.Domain;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Application;

// The steps of ProcessEvent, outermost first; their order is declared once, in AddGenesysDedup.

/// <summary>Counts every delivery by outcome and logs the ones not acknowledged.</summary>
internal sealed class TelemetryBehavior(DedupMetrics metrics, TimeProvider time, ILogger<TelemetryBehavior> logger)
    : IPipelineBehavior<ProcessEvent, DedupResult>
{
    public async ValueTask<DedupResult> Handle(ProcessEvent message, MessageHandlerDelegate<ProcessEvent, DedupResult> next, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var result = await next(message, cancellationToken).ConfigureAwait(false);
        metrics.EventDelivered(result.Outcome);
        var outcome = result.Outcome.ToWireName();
        Log.Outcome(logger, result.Key, outcome, time.GetElapsedTime(started).TotalMilliseconds);
        if (result.Outcome is not (DedupOutcome.Processed or DedupOutcome.Duplicate or DedupOutcome.InProgress))
        {
            Log.NotAcknowledged(logger, result.Key, outcome, result.Detail);
        }

        return result;
    }
}

/// <summary>Parses the body into an event (or answers invalid) and owns the parsed document for the rest of the pipeline.</summary>
internal sealed class ParseBehavior(EventLimits limits) : IPipelineBehavior<ProcessEvent, DedupResult>
{
    public async ValueTask<DedupResult> Handle(ProcessEvent message, MessageHandlerDelegate<ProcessEvent, DedupResult> next, CancellationToken cancellationToken)
    {
        var parsed = EventParser.Parse(message.Body, limits);
        if (parsed.Event is not { } dedupEvent)
        {
            return new DedupResult(DedupOutcome.Invalid, Detail: parsed.Error);
        }

        using (dedupEvent)
        {
            return await next(message with { Event = dedupEvent }, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Resolves the dedup key with the configured sources (SPEC §3).</summary>
internal sealed class KeyBehavior(KeyResolver resolver) : IPipelineBehavior<ProcessEvent, DedupResult>
{
    public ValueTask<DedupResult> Handle(ProcessEvent message, MessageHandlerDelegate<ProcessEvent, DedupResult> next, CancellationToken cancellationToken)
    {
        var resolution = resolver.Resolve(message.ParsedEvent);
        return resolution.Key is { } key
            ? next(message with { Key = key }, cancellationToken)
            : ValueTask.FromResult(new DedupResult(DedupOutcome.Invalid, EventId: message.ParsedEvent.Id, Detail: resolution.Error));
    }
}

/// <summary>
/// SPEC §4: claim → run → complete, or release on failure. Owner tokens fence a delivery whose lease was taken over.
/// The store calls share one <see cref="StoreBudget"/> (<c>Dedup:StoreTimeout</c>).
/// </summary>
internal sealed class IdempotencyBehavior(
    EngineStore engineStore,
    IOptions<DedupOptions> options,
    TimeProvider time,
    DedupMetrics metrics,
    ILogger<IdempotencyBehavior> logger) : IPipelineBehavior<ProcessEvent, DedupResult>
{
    private readonly DedupOptions _options = options.Value;
    private readonly IDedupStore _store = engineStore.Store;

    public async ValueTask<DedupResult> Handle(ProcessEvent message, MessageHandlerDelegate<ProcessEvent, DedupResult> next, CancellationToken cancellationToken)
    {
        var key = message.ResolvedKey;
        var eventId = message.ParsedEvent.Id;
        var storeKey = key.StoredForm(_options.Namespace);
        var owner = Guid.NewGuid().ToString("N");
        var now = time.GetUtcNow();
        var lease = message.Lease ?? _options.Lease;
        var budget = new StoreBudget(_options.StoreTimeout, time);

        ClaimResult claim;
        try
        {
            var started = time.GetTimestamp();
            // Never cancelled, only no longer waited for past the budget: a claim sent may still land. Then it blocks
            // the key for one lease, and the retry after it wins.
            claim = await budget.WaitAsync(_store.TryClaimAsync(new ClaimRequest(storeKey, owner, key.Fingerprint, now, now + lease), CancellationToken.None), started, "claim").ConfigureAwait(false);
            metrics.StoreCall("claim", time.GetElapsedTime(started));
        }
        catch (DedupStoreUnavailableException ex)
        {
            return Unavailable(ex, "claim", key, eventId);
        }

        switch (claim.Status)
        {
            case ClaimStatus.Duplicate:
                return new DedupResult(DedupOutcome.Duplicate, key.Value, eventId);
            case ClaimStatus.InProgress:
                return new DedupResult(DedupOutcome.InProgress, key.Value, eventId, "another delivery of this event is being processed",
                    RetryAfterLease(claim.LeaseExpiresAt ?? now + lease, now));
            case ClaimStatus.Conflict:
                return new DedupResult(DedupOutcome.Conflict, key.Value, eventId, $"key {key.Value} (from {key.Source}) was already used by an event with a different fingerprint");
        }

        try
        {
            await next(message, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Any handler failure must release the claim: the event is retried, never lost.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.HandlerFailed(logger, ex, storeKey);
            await ReleaseAsync(storeKey, owner, budget).ConfigureAwait(false);
            return new DedupResult(DedupOutcome.Failed, key.Value, eventId, $"handler failed: {ex.GetType().Name}");
        }

        try
        {
            var completedAt = time.GetUtcNow();
            var started = time.GetTimestamp();
            // Never cancelled: the handler already ran, and recording that is what stops a second run.
            var completed = await budget.WaitAsync(_store.CompleteAsync(new CompleteRequest(storeKey, owner, key.Fingerprint, completedAt, completedAt + _options.Retention), CancellationToken.None), started, "complete").ConfigureAwait(false);
            metrics.StoreCall("complete", time.GetElapsedTime(started));
            if (!completed)
            {
                // Fencing: our lease lapsed and another delivery holds the key; its record stands. Our handler did
                // run successfully, so this delivery is acknowledged. (A claim that merely vanished is completed.)
                metrics.LeaseLost();
                Log.LeaseLost(logger, storeKey);
            }
        }
        catch (DedupStoreUnavailableException ex)
        {
            // The handler ran but completion was not recorded (or not in time: it may still land): not acknowledged,
            // so the sender retries; the claim lapses with its lease and the retry runs the handler again, unless
            // the late completion landed (then duplicate). At-least-once, never lost.
            return Unavailable(ex, "complete", key, eventId);
        }

        return new DedupResult(DedupOutcome.Processed, key.Value, eventId);
    }

    private async ValueTask ReleaseAsync(string storeKey, string owner, StoreBudget budget)
    {
        try
        {
            var started = time.GetTimestamp();
            var released = await budget.WaitAsync(_store.ReleaseAsync(storeKey, owner, CancellationToken.None), started, "release").ConfigureAwait(false);
            metrics.StoreCall("release", time.GetElapsedTime(started));
            if (!released)
            {
                Log.ReleaseNotOwned(logger, storeKey);
            }
        }
        catch (DedupStoreUnavailableException ex)
        {
            // The claim stays until its lease lapses; the retry then wins it.
            Log.StoreUnavailable(logger, ex, "release", storeKey);
        }
    }

    private DedupResult Unavailable(DedupStoreUnavailableException ex, string operation, DedupKey key, string? eventId)
    {
        Log.StoreUnavailable(logger, ex, operation, key.StoredForm(_options.Namespace));
        return new DedupResult(DedupOutcome.StoreUnavailable, key.Value, eventId, $"dedup store unavailable during {operation}", DedupResult.StoreRetryAfter);
    }

    // Retry-After is whole seconds, at least 1.
    private static TimeSpan RetryAfterLease(DateTimeOffset leaseExpiresAt, DateTimeOffset now) =>
        TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling((leaseExpiresAt - now).TotalSeconds)));
}

/// <summary>
/// The store as the engine uses it: the registered <see cref="IDedupStore"/>, behind a <see cref="CompletedKeyCache"/>
/// unless <c>Dedup:LocalCacheSize</c> is 0 or the store is an <see cref="IInProcessDedupStore"/>. Resolved when the
/// engine is, so the store may be registered in any order.
/// </summary>
internal sealed class EngineStore(IDedupStore store, IOptions<DedupOptions> options)
{
    public IDedupStore Store { get; } = options.Value.LocalCacheSize > 0 && store is not IInProcessDedupStore
        ? new CompletedKeyCache(store, options.Value.LocalCacheSize)
        : store;
}

/// <summary>The request handler: runs every registered <see cref="IDedupHandler"/> in a fresh DI scope.</summary>
internal sealed class RunEventHandlers(IServiceScopeFactory scopes, DedupMetrics metrics, TimeProvider time)
    : IRequestHandler<ProcessEvent, DedupResult>
{
    public async ValueTask<DedupResult> Handle(ProcessEvent request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        // The parsed event sits on pooled memory that the next delivery reuses; handlers get a copy of their own, so
        // one that queues the event for later never reads another event's bytes.
        var ownedEvent = request.ParsedEvent.ToOwned();
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            foreach (var handler in scope.ServiceProvider.GetServices<IDedupHandler>())
            {
                await handler.HandleAsync(ownedEvent, request.ResolvedKey, cancellationToken).ConfigureAwait(false);
            }
        }

        metrics.HandlerRan(time.GetElapsedTime(started));
        return new DedupResult(DedupOutcome.Processed, request.ResolvedKey.Value, request.ParsedEvent.Id);
    }
}

/// <summary>The <c>log</c> handler (SPEC §6): one structured line per processed event.</summary>
internal sealed class LogEventHandler(ILogger<LogEventHandler> logger) : IDedupHandler
{
    public ValueTask HandleAsync(DedupEvent dedupEvent, DedupKey key, CancellationToken cancellationToken)
    {
        Log.Processed(logger, key.Value, dedupEvent.TopicName, dedupEvent.DetailType, dedupEvent.Id);
        return ValueTask.CompletedTask;
    }
}
