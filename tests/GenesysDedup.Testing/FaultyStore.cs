using GenesysDedup.Domain;

namespace GenesysDedup.Testing;

/// <summary>Wraps a real store and, while <see cref="Down"/> is set, fails every call the way an unreachable store does.</summary>
public sealed class FaultyStore(IDedupStore inner) : IDedupStore
{
    public IDedupStore Inner => inner;

    public bool Down { get; set; }

    /// <summary>When set, only completions fail (the store went away while the handler ran).</summary>
    public bool CompletionsDown { get; set; }

    public ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken) =>
        Down ? throw Unavailable() : inner.TryClaimAsync(request, cancellationToken);

    public ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken) =>
        Down || CompletionsDown ? throw Unavailable() : inner.CompleteAsync(request, cancellationToken);

    public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken) =>
        Down ? throw Unavailable() : inner.ReleaseAsync(key, owner, cancellationToken);

    /// <summary>How many readiness checks reached the store.</summary>
    public int ReadyChecks => _readyChecks;

    private int _readyChecks;

    public ValueTask CheckReadyAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _readyChecks);
        return Down ? throw Unavailable() : inner.CheckReadyAsync(cancellationToken);
    }

    private static DedupStoreUnavailableException Unavailable() =>
        new("store is down (injected)", new TimeoutException("injected fault"));
}
