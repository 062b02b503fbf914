using GenesysDedup.Domain;

namespace GenesysDedup.Benchmarks.Workload;

/// <summary>Counts every call the engine makes on the store it wraps (claims, completions, releases).</summary>
public sealed class CountingDedupStore(IDedupStore inner) : IDedupStore
{
    public static CountingDedupStore Wrap(IDedupStore inner) => new(inner);

    private long _claims;
    private long _completes;
    private long _releases;

    public long Claims => Interlocked.Read(ref _claims);

    public long Completes => Interlocked.Read(ref _completes);

    public long Releases => Interlocked.Read(ref _releases);

    public long Total => Claims + Completes + Releases;

    public void Reset()
    {
        Interlocked.Exchange(ref _claims, 0);
        Interlocked.Exchange(ref _completes, 0);
        Interlocked.Exchange(ref _releases, 0);
    }

    public ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _claims);
        return inner.TryClaimAsync(request, cancellationToken);
    }

    public ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _completes);
        return inner.CompleteAsync(request, cancellationToken);
    }

    public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _releases);
        return inner.ReleaseAsync(key, owner, cancellationToken);
    }

    public ValueTask CheckReadyAsync(CancellationToken cancellationToken) => inner.CheckReadyAsync(cancellationToken);

    public ValueTask<DedupRecord?> FindAsync(string key, DateTimeOffset now, CancellationToken cancellationToken) => inner.FindAsync(key, now, cancellationToken);

    public ValueTask<bool> RemoveAsync(string key, DateTimeOffset now, CancellationToken cancellationToken) => inner.RemoveAsync(key, now, cancellationToken);
}
