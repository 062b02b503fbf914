using GenesysDedup.Domain;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GenesysDedup.Hosting;

/// <summary>Ready when the store answers (SPEC §7 <c>/health/ready</c>).</summary>
public sealed class DedupStoreHealthCheck(IDedupStore store) : IHealthCheck
{
    public const string ReadyTag = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.CheckReadyAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("dedup store reachable");
        }
        catch (DedupStoreUnavailableException ex)
        {
            return HealthCheckResult.Unhealthy("dedup store unavailable", ex);
        }
    }
}
