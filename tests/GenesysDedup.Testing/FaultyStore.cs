using System.Collections.Concurrent;
using GenesysDedup.Domain;

namespace GenesysDedup.Testing;

/// <summary>
/// Wraps a real store, records every claim, and fails calls the way an unreachable store does: all of them while
/// <see cref="Down"/> is set, or those for the keys given to <see cref="FailKey"/>.
/// </summary>
public sealed class FaultyStore(IDedupStore inner) : IDedupStore
{
    private readonly ConcurrentDictionary<string, bool> _failingKeys = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _found = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _readyChecks;

    public IDedupStore Inner => inner;

    public bool Down { get; set; }

    /// <summary>When set, only completions fail (the store went away while the handler ran).</summary>
    public bool CompletionsDown { get; set; }

    /// <summary>Every claim that reached the store, in order.</summary>
    public ConcurrentQueue<ClaimRequest> Claims { get; } = new();

    /// <summary>Completes at the first look-up (e.g. a delivery re-reading the record of one it waits for).</summary>
    public Task FirstFind => _found.Task;

    /// <summary>How many readiness checks reached the store.</summary>
    public int ReadyChecks => _readyChecks;

    /// <summary>Fails every call for the stored key <paramref name="key"/>, as a store with one bad partition would.</summary>
    public void FailKey(string key) => _failingKeys[key] = true;

    public ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        Claims.Enqueue(request);
        return Fails(request.Key) ? throw Unavailable() : inner.TryClaimAsync(request, cancellationToken);
    }

    public ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken) =>
        CompletionsDown || Fails(request.Key) ? throw Unavailable() : inner.CompleteAsync(request, cancellationToken);

    public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken) =>
        Fails(key) ? throw Unavailable() : inner.ReleaseAsync(key, owner, cancellationToken);

    public ValueTask CheckReadyAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _readyChecks);
        return Down ? throw Unavailable() : inner.CheckReadyAsync(cancellationToken);
    }

    public ValueTask<DedupRecord?> FindAsync(string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        _found.TrySetResult();
        return Fails(key) ? throw Unavailable() : inner.FindAsync(key, now, cancellationToken);
    }

    public ValueTask<bool> RemoveAsync(string key, DateTimeOffset now, CancellationToken cancellationToken) =>
        Fails(key) ? throw Unavailable() : inner.RemoveAsync(key, now, cancellationToken);

    private bool Fails(string key) => Down || _failingKeys.ContainsKey(key);

    private static DedupStoreUnavailableException Unavailable() =>
        new("store is down (injected)", new TimeoutException("injected fault"));
}
