using GenesysDedup.Domain;

namespace GenesysDedup.Application;

/// <summary>
/// What is left of <c>Dedup:StoreTimeout</c> for one delivery's store calls, which share it (SPEC §4). A call still
/// running when the budget runs out is no longer waited for, but it is not cancelled either: a write already sent may
/// land whatever the client does, and cancelling it would only hide its outcome. It finishes in the background (its
/// fault, if any, is observed there), and the delivery answers store_unavailable, so the sender retries.
/// </summary>
internal sealed class StoreBudget(TimeSpan total, TimeProvider time)
{
    private readonly TimeSpan _total = total;
    private TimeSpan _left = total;

    /// <summary>Awaits <paramref name="call"/>, started at <paramref name="started"/> (a <see cref="TimeProvider"/>
    /// timestamp), within what is left; throws <see cref="DedupStoreUnavailableException"/> past it.</summary>
    public async ValueTask<T> WaitAsync<T>(ValueTask<T> call, long started, string operation)
    {
        if (call.IsCompletedSuccessfully)
        {
            _left -= time.GetElapsedTime(started);
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
        finally
        {
            _left -= time.GetElapsedTime(started);
        }
    }
}
