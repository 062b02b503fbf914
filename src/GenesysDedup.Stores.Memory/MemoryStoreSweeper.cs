using GenesysDedup.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Stores.Memory;

/// <summary>Sweeps expired records once a minute so memory is bounded by the retention window, and says at start-up that the store is not durable.</summary>
internal sealed class MemoryStoreSweeper(MemoryDedupStore store, IOptions<MemoryStoreOptions> options, TimeProvider time, ILogger<MemoryStoreSweeper> logger) : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Here rather than in ExecuteAsync, which runs on a background thread: the warning is part of the start-up.
        Log.NotDurable(logger, options.Value.MaxEntries);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var removed = store.Sweep(time.GetUtcNow());
                Log.Swept(logger, removed, store.Count);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
