using GenesysDedup.Domain;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GenesysDedup.AspNetCore;

/// <summary>
/// Ready when the store answers. Answers from a store check at most <see cref="MaxAge"/> old, and callers that arrive
/// while a check runs share it: an unauthenticated flood of probes costs at most one store call (on DynamoDB, a billed
/// read) per <see cref="MaxAge"/>.
/// </summary>
internal sealed class DedupStoreHealthCheck(IDedupStore store, TimeProvider time) : IHealthCheck
{
    /// <summary>The oldest store check a probe is answered from.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _latest;
    private long _latestStartedAt;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Task<HealthCheckResult> check;
        lock (_gate)
        {
            if (_latest is null || time.GetElapsedTime(_latestStartedAt) >= MaxAge)
            {
                _latestStartedAt = time.GetTimestamp();
                _latest = CheckStoreAsync();
            }

            check = _latest;
        }

        // The shared check is not tied to any one caller: a caller that gives up leaves it to the others.
        return check.WaitAsync(cancellationToken);
    }

    private async Task<HealthCheckResult> CheckStoreAsync()
    {
        try
        {
            // No caller's token: the store clients' own timeouts bound the check.
            await store.CheckReadyAsync(CancellationToken.None).ConfigureAwait(false);
            return HealthCheckResult.Healthy("dedup store reachable");
        }
        catch (DedupStoreUnavailableException ex)
        {
            return HealthCheckResult.Unhealthy("dedup store unavailable", ex);
        }
    }
}
