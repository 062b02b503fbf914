using GenesysDedup.Domain;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace GenesysDedup.Stores.Sqlite;

/// <summary>
/// SQLite store (docs/stores.md#sqlite): one row per key in one file, written by the statements of
/// <see cref="SqliteDatabase"/>. SQLite has one writer per file, so this process sends one call at a time through one
/// connection (a gate), and other processes on the file wait for the write lock up to
/// <see cref="SqliteDatabase.BusyTimeout"/>. Calls run synchronously on the caller's thread; one that has to queue for
/// the gate waits asynchronously, at most that same timeout. Every SQLite error (busy past the timeout, disk full, I/O
/// error, a corrupt or foreign file, a read-only file) becomes <see cref="DedupStoreUnavailableException"/>.
/// </summary>
internal sealed class SqliteDedupStore : IDedupStore, IDisposable
{
    /// <summary>
    /// Batches of <see cref="SqliteDatabase.SweepBatch"/> keys one sweep looks at: 100,000 keys a minute, so a file of
    /// a million keys is walked every ten minutes, for about a fifth of a second of statements each minute.
    /// </summary>
    internal const int SweepBatchesPerCall = 200;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _fullSync;
    private readonly ILogger<SqliteDedupStore> _logger;
    private SqliteDatabase? _database;
    private bool _disposed;

    // Where the sweep stopped: the last key it looked at; empty to start from the first.
    private string _sweptUpTo = string.Empty;

    /// <param name="path">The database file; relative to the working directory.</param>
    /// <param name="fullSync">PRAGMA synchronous = FULL rather than NORMAL.</param>
    /// <param name="logger">Where faults are logged.</param>
    public SqliteDedupStore(string path, bool fullSync, ILogger<SqliteDedupStore> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(logger);
        Path = System.IO.Path.GetFullPath(path);
        _fullSync = fullSync;
        _logger = logger;
    }

    /// <summary>The database file's full path.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens the file now (the host does this while it starts); throws <see cref="InvalidOperationException"/> naming
    /// <c>Dedup:Sqlite:Path</c> and the cause when it cannot be used.
    /// </summary>
    public void Open()
    {
        _gate.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _database ??= SqliteDatabase.Open(Path, _fullSync);
        }
        catch (Exception ex) when (ex is SqliteException or NewerSchemaException or InvalidOperationException and not ObjectDisposedException)
        {
            throw new InvalidOperationException($"Dedup:Sqlite:Path '{Path}' cannot be used as the dedup store: {Describe(ex)}", ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    public ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken) =>
        RunAsync("claim", request.Key, request, static (database, r) => database.Claim(r), cancellationToken);

    public ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken) =>
        RunAsync("complete", request.Key, request, static (database, r) => database.Complete(r), cancellationToken);

    public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken) =>
        RunAsync("release", key, (key, owner), static (database, r) => database.Release(r.key, r.owner), cancellationToken);

    public async ValueTask CheckReadyAsync(CancellationToken cancellationToken) =>
        await RunAsync("ready check", string.Empty, 0, static (database, _) =>
        {
            database.CheckReady();
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Deletes the records that no longer block a claim at <paramref name="now"/> among the next
    /// <see cref="SweepBatchesPerCall"/> batches of keys, carrying on where the last call stopped, up to the end of the
    /// table (the next call starts over). One statement per batch, and the gate let go between batches, so claims are
    /// never held up for more than one batch. Returns how many were deleted.
    /// </summary>
    public async ValueTask<int> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var removed = 0;
        for (var batch = 0; batch < SweepBatchesPerCall; batch++)
        {
            var (last, deleted) = await RunAsync("sweep", string.Empty, (After: _sweptUpTo, Now: now), static (database, at) => database.SweepAfter(at.After, at.Now), cancellationToken).ConfigureAwait(false);
            removed += deleted;
            _sweptUpTo = last ?? string.Empty;
            if (last is null)
            {
                break;
            }
        }

        return removed;
    }

    /// <summary>Runs <paramref name="call"/> on the open database, for tests that reach below the port.</summary>
    internal ValueTask<T> RunAsync<T>(Func<SqliteDatabase, T> call) =>
        RunAsync("test", string.Empty, call, static (database, c) => c(database), CancellationToken.None);

    public void Dispose()
    {
        _gate.Wait();
        try
        {
            _disposed = true;
            _database?.Dispose();
            _database = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private ValueTask<T> RunAsync<TState, T>(string operation, string key, TState state, Func<SqliteDatabase, TState, T> call, CancellationToken cancellationToken)
    {
        if (!_gate.Wait(0, CancellationToken.None))
        {
            return WaitThenRunAsync(operation, key, state, call, cancellationToken);
        }

        try
        {
            return ValueTask.FromResult(RunHeld(operation, key, state, call));
        }
        catch (DedupStoreUnavailableException ex)
        {
            return ValueTask.FromException<T>(ex);
        }
    }

    private async ValueTask<T> WaitThenRunAsync<TState, T>(string operation, string key, TState state, Func<SqliteDatabase, TState, T> call, CancellationToken cancellationToken)
    {
        if (!await _gate.WaitAsync(SqliteDatabase.BusyTimeout, cancellationToken).ConfigureAwait(false))
        {
            Log.Unavailable(_logger, null, operation, key, "waited for this process's earlier calls");
            throw new DedupStoreUnavailableException($"SQLite store busy: the {operation} waited {SqliteDatabase.BusyTimeout.TotalSeconds:0.#} s behind this process's earlier calls.");
        }

        return RunHeld(operation, key, state, call);
    }

    /// <summary>Runs <paramref name="call"/> with the gate held, and lets the gate go.</summary>
    private T RunHeld<TState, T>(string operation, string key, TState state, Func<SqliteDatabase, TState, T> call)
    {
        try
        {
            if (_disposed)
            {
                throw new DedupStoreUnavailableException("The SQLite store was disposed.");
            }

            // Opened on first use when no host opened it; a file that cannot be opened fails this call, not the process.
            _database ??= SqliteDatabase.Open(Path, _fullSync);
            return call(_database, state);
        }
        catch (Exception ex) when (ex is SqliteException or NewerSchemaException or InvalidOperationException)
        {
            Log.Unavailable(_logger, ex, operation, key, Describe(ex));
            throw new DedupStoreUnavailableException($"SQLite could not {operation} ({Path}): {Describe(ex)}", ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>SQLite's message, with what to check for the errors an operator can fix.</summary>
    private static string Describe(Exception exception) => exception switch
    {
        SqliteException { SqliteErrorCode: raw.SQLITE_CANTOPEN } ex => $"{ex.Message} Check that its directory exists and that this process may create and write files there.",
        SqliteException { SqliteErrorCode: raw.SQLITE_NOTADB } ex => $"{ex.Message} The file is not a SQLite database: point Dedup:Sqlite:Path at another file.",
        SqliteException { SqliteErrorCode: raw.SQLITE_CORRUPT } ex => $"{ex.Message} The file is damaged: restore it from a backup or move it aside (the store then starts empty).",
        SqliteException { SqliteErrorCode: raw.SQLITE_FULL } ex => $"{ex.Message} The disk is full.",
        SqliteException { SqliteErrorCode: raw.SQLITE_READONLY } ex => $"{ex.Message} The file or its directory is read-only for this process.",
        SqliteException { SqliteErrorCode: raw.SQLITE_BUSY or raw.SQLITE_LOCKED } ex => $"{ex.Message} Another process held the file's write lock past {SqliteDatabase.BusyTimeout.TotalSeconds:0.#} s.",
        _ => exception.Message,
    };
}
