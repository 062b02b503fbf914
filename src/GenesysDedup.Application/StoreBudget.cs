using System.Diagnostics;
using GenesysDedup.Domain;

namespace GenesysDedup.Application;

/// <summary>
/// What is left of <c>Dedup:StoreTimeout</c> for one delivery's store calls, which share it. A call still running when
/// the budget runs out is no longer waited for, but it is not cancelled either: a write already sent may land whatever
/// the client does, and cancelling it would only hide its outcome. It finishes in the background (its fault, if any,
/// is observed there), and the delivery answers store_unavailable, so the sender retries.
/// </summary>
internal sealed class StoreBudget(TimeSpan total, TimeProvider time, DedupMetrics metrics)
{
    private readonly TimeSpan _total = total;
    private TimeSpan _left = total;

    /// <summary>Starts <paramref name="start"/> and awaits it within what is left, recording its latency; throws
    /// <see cref="DedupStoreUnavailableException"/> past the budget.</summary>
    public async ValueTask<T> CallAsync<T>(string operation, Func<ValueTask<T>> start)
    {
        var started = time.GetTimestamp();
        using var activity = DedupTelemetry.StartChild(DedupTelemetry.StoreSpan(operation), ActivityKind.Client);
        try
        {
            var call = start();
            if (call.IsCompletedSuccessfully)
            {
                return call.Result; // an in-process store: no timer
            }

            var pending = call.AsTask();
            try
            {
                var left = _left - time.GetElapsedTime(started);
                return await pending.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time).ConfigureAwait(false);
            }
            catch (TimeoutException ex) when (ex != pending.Exception?.InnerException) // ours, not the store's own
            {
                _ = pending.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw new DedupStoreUnavailableException($"the store did not answer the {operation} within Dedup:StoreTimeout ({_total:c})");
            }
        }
        catch (Exception ex) when (DedupTelemetry.RecordException(activity, ex))
        {
            throw; // never: the filter records and passes
        }
        finally
        {
            var elapsed = time.GetElapsedTime(started);
            _left -= elapsed;
            metrics.StoreCall(operation, elapsed);
        }
    }
}
