using GenesysDedup.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GenesysDedup.Stores.Redis;

/// <summary>
/// Resolves the store (and so makes the one connection) while the host starts, before any request. Made lazily
/// inside the first burst of requests instead, the synchronous connect would hold thread-pool threads that its own
/// socket callbacks need, time out, and answer store_unavailable to the whole burst.
/// </summary>
internal sealed class RedisConnectionWarmup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<IDedupStore>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
