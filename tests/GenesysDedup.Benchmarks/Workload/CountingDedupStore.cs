using GenesysDedup.Domain;

namespace GenesysDedup.Benchmarks.Workload;

/// <summary>Counts every call the engine makes on the store it wraps (claims, completions, releases).</summary>
public class CountingDedupStore(IDedupStore inner) : IDedupStore
{
    /// <summary>Wraps <paramref name="inner"/>, keeping it an <see cref="IInProcessDedupStore"/> if it is one, so the
    /// engine puts the same completed-key cache (or none) in front of the counter as in front of the store.</summary>
    public static CountingDedupStore Wrap(IDedupStore inner) =>
        inner is IInProcessDedupStore ? new InProcess(inner) : new CountingDedupStore(inner);

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

    private sealed class InProcess(IDedupStore inner) : CountingDedupStore(inner), IInProcessDedupStore;
}
