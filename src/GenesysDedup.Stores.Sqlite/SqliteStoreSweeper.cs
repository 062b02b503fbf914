using GenesysDedup.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Stores.Sqlite;

/// <summary>
/// Opens the store's file while the host starts, so a file that cannot be used stops the start with a message naming
/// <c>Dedup:Sqlite:Path</c>, and says which file is used. Then deletes expired records once a minute, so the file is
/// bounded by the retention window (docs/stores.md#statements).
/// </summary>
internal sealed class SqliteStoreSweeper(SqliteDedupStore store, IOptions<SqliteStoreOptions> options, TimeProvider time, ILogger<SqliteStoreSweeper> logger) : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        store.Open();
        Log.Opened(logger, store.Path, options.Value.Synchronous.ToLowerInvariant(), SqliteDatabase.SchemaVersion);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        try
        {
            Log.Swept(logger, await store.SweepAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false), store.Path);
        }
        catch (DedupStoreUnavailableException ex)
        {
            Log.SweepFailed(logger, store.Path, ex.Message);
        }
    }
}
