using System.Diagnostics;
using System.IO.Enumeration;
using GenesysDedup.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Application;

/// <summary>
/// The whole algorithm: parse → key → claim → run the handlers → complete, or release when a handler fails. Owner
/// tokens fence a delivery whose lease was taken over; the store calls of one delivery share one
/// <see cref="StoreBudget"/> (<c>Dedup:StoreTimeout</c>). Every delivery is counted and logged once, by outcome.
/// </summary>
internal sealed class DedupEngine(
    IOptions<DedupOptions> options,
    IDedupStore store,
    IServiceScopeFactory scopes,
    IEnumerable<HandlerTopics> handlerTopics,
    DedupMetrics metrics,
    TimeProvider time,
    ILogger<DedupEngine> logger) : IEventDeduplicator
{
    private readonly DedupOptions _options = options.Value;
    private readonly EventLimits _limits = new(options.Value.MaxEventBytes);
    private readonly KeyResolver _keys = KeyResolver.FromNames(options.Value.KeySources);
    private readonly Dictionary<Type, string[]> _topics = handlerTopics
        .GroupBy(t => t.HandlerType)
        .ToDictionary(g => g.Key, g => g.SelectMany(t => t.Patterns).ToArray());

    public ValueTask<DedupResult> ProcessAsync(ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken = default) =>
        ProcessAsync(utf8Json, default, cancellationToken);

    public async ValueTask<DedupResult> ProcessAsync(ReadOnlyMemory<byte> utf8Json, DeliveryInfo delivery, CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        using var span = DedupTelemetry.StartProcess(delivery);
        var activity = DedupTelemetry.Recording(span);
        DedupResult result;
        try
        {
            result = await DeliverAsync(utf8Json, delivery, activity, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DedupTelemetry.RecordException(activity, ex))
        {
            throw; // never: the filter records and passes
        }

        metrics.EventDelivered(result.Outcome);
        if (activity is not null)
        {
            DedupTelemetry.Finish(activity, result);
        }

        LogOutcome(result, time.GetElapsedTime(started));
        return result;
    }

    private async ValueTask<DedupResult> DeliverAsync(ReadOnlyMemory<byte> utf8Json, DeliveryInfo delivery, Activity? activity, CancellationToken cancellationToken)
    {
        var parsed = EventParser.Parse(utf8Json, _limits);
        if (parsed.Event is not { } dedupEvent)
        {
            return new DedupResult(DedupOutcome.Invalid, Detail: parsed.Error);
        }

        using (dedupEvent)
        {
            var resolution = _keys.Resolve(dedupEvent);
            if (resolution.Key is not { } key)
            {
                return new DedupResult(DedupOutcome.Invalid, EventId: dedupEvent.Id, Detail: resolution.Error);
            }

            if (activity is not null)
            {
                DedupTelemetry.Describe(activity, dedupEvent, key, _options.Namespace);
            }

            DedupResult Answer(DedupOutcome outcome, string? detail = null, TimeSpan? retryAfter = null, Exception? exception = null) =>
                new(outcome, key.Value, dedupEvent.Id, detail, retryAfter) { KeySource = key.Source, Exception = exception };

            var storeKey = key.StoredForm(_options.Namespace);
            var owner = Guid.NewGuid().ToString("N");
            var now = time.GetUtcNow();
            var lease = delivery.Lease ?? _options.Lease;
            var budget = new StoreBudget(_options.StoreTimeout, time, metrics);

            ClaimResult claim;
            try
            {
                // Store calls are never cancelled, only no longer waited for past the budget: a claim sent may still
                // land. Then it blocks the key for one lease, and the retry after it wins.
                var request = new ClaimRequest(storeKey, owner, key.Fingerprint, now, now + lease) { TraceParent = DedupTelemetry.TraceParent(activity), ClockSkew = _options.ClockSkew };
                claim = await ClaimAsync(request, lease, budget, cancellationToken).ConfigureAwait(false);
            }
            catch (DedupStoreUnavailableException ex)
            {
                return Answer(DedupOutcome.StoreUnavailable, "dedup store unavailable during claim", DedupResult.StoreRetryAfter, ex);
            }

            if (activity is not null)
            {
                DedupTelemetry.LinkTo(activity, claim.TraceParent);
            }

            switch (claim.Status)
            {
                case ClaimStatus.Duplicate:
                    return Answer(DedupOutcome.Duplicate);
                case ClaimStatus.InProgress:
                    return Answer(DedupOutcome.InProgress, "another delivery of this event is being processed",
                        RetryAfterLease(claim.LeaseExpiresAt ?? now + lease, time.GetUtcNow()));
                case ClaimStatus.Conflict:
                    return Answer(DedupOutcome.Conflict, $"key {key.Value} (from {key.Source}) was already used by an event with a different fingerprint");
            }

            try
            {
                await RunHandlersAsync(new DedupContext(dedupEvent.ToOwned(), key, delivery.Attempt), cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Any handler failure must release the claim: the event is retried, never lost.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var released = await ReleaseAsync(storeKey, owner, budget).ConfigureAwait(false);
                return Answer(DedupOutcome.Failed, $"handler failed: {ex.GetType().Name}{released}", exception: ex);
            }

            try
            {
                // Never cancelled: the handler already ran, and recording that is what stops a second run.
                var completedAt = time.GetUtcNow();
                var request = new CompleteRequest(storeKey, owner, key.Fingerprint, completedAt, completedAt + _options.Retention) { TraceParent = DedupTelemetry.TraceParent(activity) };
                if (!await budget.CallAsync("complete", () => store.CompleteAsync(request, CancellationToken.None)).ConfigureAwait(false))
                {
                    // Fencing: our lease lapsed and another delivery holds the key; its record stands. Our handler
                    // did run, so this delivery is acknowledged.
                    metrics.LeaseLost();
                    Log.LeaseLost(logger, storeKey);
                }
            }
            catch (DedupStoreUnavailableException ex)
            {
                // Not acknowledged, so the sender retries: the claim lapses with its lease and the retry runs the
                // handler again, unless a late completion landed (then duplicate). At least once, never lost.
                return Answer(DedupOutcome.StoreUnavailable, "dedup store unavailable during complete", DedupResult.StoreRetryAfter, ex);
            }

            return Answer(DedupOutcome.Processed);
        }
    }

    /// <summary>
    /// Claims the key. When another delivery holds it (a re-publish in flight with its original), waits up to
    /// <c>Dedup:InProgressWait</c>, within <c>Dedup:StoreTimeout</c> and the request, re-reading the record with backoff;
    /// once the holder has completed or released, one more claim answers (duplicate, or ours to run). A 429 would only
    /// bring the sender back seconds later.
    /// </summary>
    private async ValueTask<ClaimResult> ClaimAsync(ClaimRequest request, TimeSpan lease, StoreBudget budget, CancellationToken cancellationToken)
    {
        var claim = await budget.CallAsync("claim", () => store.TryClaimAsync(request, CancellationToken.None)).ConfigureAwait(false);
        var wait = _options.InProgressWait < _options.StoreTimeout ? _options.InProgressWait : _options.StoreTimeout;
        var started = time.GetTimestamp();
        for (var delay = FirstPoll; claim.Status == ClaimStatus.InProgress; delay = delay * 2 < LastPoll ? delay * 2 : LastPoll)
        {
            var left = wait - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            try
            {
                await Task.Delay(delay < left ? delay : left, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break; // the sender gave up: it retries, and the answer goes nowhere
            }

            var now = time.GetUtcNow();
            var record = await budget.CallAsync("find", () => store.FindAsync(request.Key, now, CancellationToken.None)).ConfigureAwait(false);
            if (record is not { Status: DedupRecordStatus.InProgress })
            {
                var again = request with { Now = now, LeaseExpiresAt = now + lease };
                return await budget.CallAsync("claim", () => store.TryClaimAsync(again, CancellationToken.None)).ConfigureAwait(false);
            }
        }

        return claim;
    }

    /// <summary>Runs every registered handler that wants the event's topic, in one DI scope, in registration order.</summary>
    private async ValueTask RunHandlersAsync(DedupContext context, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var scope = scopes.CreateAsyncScope();
        try
        {
            await using (scope.ConfigureAwait(false))
            {
                foreach (var handler in scope.ServiceProvider.GetServices<IDedupHandler>())
                {
                    if (!_topics.TryGetValue(handler.GetType(), out var patterns) || Matches(patterns, context.Event.TopicName))
                    {
                        await RunHandlerAsync(handler, context, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            metrics.HandlerRan(time.GetElapsedTime(started));
        }
    }

    private static async ValueTask RunHandlerAsync(IDedupHandler handler, DedupContext context, CancellationToken cancellationToken)
    {
        using var activity = DedupTelemetry.StartChild(DedupTelemetry.HandlerSpan);
        DedupTelemetry.Recording(activity)?.SetTag(DedupTelemetry.Handler, handler.GetType().Name);
        try
        {
            await handler.HandleAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DedupTelemetry.RecordException(activity, ex))
        {
            throw; // never: the filter records and passes
        }
    }

    private static bool Matches(string[] patterns, string? topicName) =>
        topicName is not null && patterns.Any(pattern => FileSystemName.MatchesSimpleExpression(pattern, topicName, ignoreCase: false));

    /// <summary>Releases the claim so the retry processes the event; says what happened when it could not.</summary>
    private async ValueTask<string> ReleaseAsync(string storeKey, string owner, StoreBudget budget)
    {
        try
        {
            var released = await budget.CallAsync("release", () => store.ReleaseAsync(storeKey, owner, CancellationToken.None)).ConfigureAwait(false);
            return released ? string.Empty : "; the claim had been taken over by another delivery";
        }
        catch (DedupStoreUnavailableException ex)
        {
            return $"; the claim could not be released ({ex.Message}) and lapses with its lease";
        }
    }

    private void LogOutcome(DedupResult result, TimeSpan elapsed)
    {
        var outcome = result.Outcome.ToWireName();
        var elapsedMs = elapsed.TotalMilliseconds;
        switch (result.Outcome)
        {
            case DedupOutcome.Processed or DedupOutcome.Duplicate or DedupOutcome.InProgress:
                Log.Outcome(logger, result.Key, outcome, elapsedMs);
                break;
            case DedupOutcome.Failed:
                // The handler is the user's code: its stack trace is what they need.
                Log.NotAcknowledged(logger, result.Exception, result.Key, outcome, elapsedMs, result.Detail);
                break;
            default:
                // An outage fails every delivery: one line each, with the store's message, no stack trace.
                var detail = result.Exception is { } ex ? $"{result.Detail}: {ex.Message}" : result.Detail;
                Log.NotAcknowledged(logger, null, result.Key, outcome, elapsedMs, detail);
                break;
        }
    }

    // Re-reads of an in-progress record: soon for a holder about to finish, then no more than a few a second.
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan LastPoll = TimeSpan.FromMilliseconds(250);

    // Retry-After is whole seconds, at least 1.
    private static TimeSpan RetryAfterLease(DateTimeOffset leaseExpiresAt, DateTimeOffset now) =>
        TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling((leaseExpiresAt - now).TotalSeconds)));
}

/// <summary>The topics a handler type asked for (<see cref="GenesysDedupBuilder.AddHandler{THandler}"/>); absent = every event.</summary>
internal sealed record HandlerTopics(Type HandlerType, string[] Patterns);

/// <summary>The <c>log</c> handler: one structured line per processed event.</summary>
internal sealed class LogEventHandler(ILogger<LogEventHandler> logger) : IDedupHandler
{
    public ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken)
    {
        var dedupEvent = context.Event;
        Log.Processed(logger, context.Key.Value, dedupEvent.TopicName, dedupEvent.DetailType, dedupEvent.Id);
        return ValueTask.CompletedTask;
    }
}
