using GenesysDedup.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Stores.Memory;

/// <summary>Sweeps expired records once a minute so memory is bounded by the retention window, and says at start-up that the store is not durable.</summary>
internal sealed partial class MemoryStoreSweeper(MemoryDedupStore store, TimeProvider time, ILogger<MemoryStoreSweeper> logger) : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        NotDurable(logger);
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var removed = store.Sweep(time.GetUtcNow());
                Swept(logger, removed, store.Count);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Dedup store is 'memory': in-process and not durable. A restart forgets every key and instances do not share keys; use Dedup:Store=redis or dynamodb in production.")]
    private static partial void NotDurable(ILogger logger);

    [LoggerMessage(2, LogLevel.Debug, "Swept {Removed} expired dedup records; {Remaining} remain")]
    private static partial void Swept(ILogger logger, int removed, int remaining);
}
