using System.Collections.Concurrent;
using GenesysDedup.Domain;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace GenesysDedup.Stores.Sqlite;

/// <summary>
/// SQLite store (docs/stores.md#sqlite): one row per key in one file, written by the statements of
/// <see cref="SqliteDatabase"/>. SQLite has one writer per file, so this process writes through one connection, one
/// thread at a time. A call that finds the connection free runs at once on the caller's thread, as before one statement
/// or one short transaction. Calls that arrive while it is busy queue, and one writer runs all that queued in one
/// transaction (group commit): each caller gets its own answer after that commit, never before, and a batch that fails
/// fails each of its callers. A call queued for longer than <see cref="SqliteDatabase.BusyTimeout"/> is not run; other
/// processes on the file wait for the write lock up to that same timeout. A second connection copies the WAL into the
/// file in the background, so no call waits for a checkpoint. Every SQLite error (busy past the timeout, disk full,
/// I/O error, a corrupt or foreign file, a read-only file) becomes <see cref="DedupStoreUnavailableException"/>.
/// </summary>
internal sealed class SqliteDedupStore : IDedupStore, IDisposable
{
    /// <summary>
    /// Batches of <see cref="SqliteDatabase.SweepBatch"/> keys one sweep looks at: 100,000 keys a minute, so a file of
    /// a million keys is walked every ten minutes, for about a fifth of a second of statements each minute.
    /// </summary>
    internal const int SweepBatchesPerCall = 200;

    /// <summary>Calls one commit takes at most, so that a batch holds the file's write lock for milliseconds.</summary>
    internal const int MaxBatch = 128;

    /// <summary>Calls committed between two background checkpoints: a few thousand WAL pages.</summary>
    internal const int CallsPerCheckpoint = 2_000;

    private readonly ConcurrentQueue<QueuedCall> _queue = new();
    private readonly List<QueuedCall> _batch = new(MaxBatch); // the writer's only
    private readonly SemaphoreSlim _checkpointDue = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly bool _fullSync;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteDedupStore> _logger;
    private SqliteDatabase? _database;
    private Task? _checkpoints;
    private int _writing; // 1 while a thread owns the connection
    private int _committedSinceCheckpoint; // the writer's only
    private bool _disposed;

    // Where the sweep stopped: the last key it looked at; empty to start from the first.
    private string _sweptUpTo = string.Empty;

    /// <param name="path">The database file; relative to the working directory.</param>
    /// <param name="fullSync">PRAGMA synchronous = FULL rather than NORMAL.</param>
    /// <param name="time">Measures how long a call has queued.</param>
    /// <param name="logger">Where faults are logged.</param>
    public SqliteDedupStore(string path, bool fullSync, TimeProvider time, ILogger<SqliteDedupStore> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        Path = System.IO.Path.GetFullPath(path);
        _fullSync = fullSync;
        _time = time;
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
        TakeConnection();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            OpenDatabase();
        }
        catch (Exception ex) when (ex is SqliteException or NewerSchemaException or InvalidOperationException and not ObjectDisposedException)
        {
            throw new InvalidOperationException($"Dedup:Sqlite:Path '{Path}' cannot be used as the dedup store: {Describe(ex)}", ex);
        }
        finally
        {
            LetGo();
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

    /// <remarks>Processed-at is the row's <c>processed_at</c> (epoch ms): null for a row completed before the column existed.</remarks>
    public ValueTask<DedupRecord?> FindAsync(string key, DateTimeOffset now, CancellationToken cancellationToken) =>
        RunAsync("look-up", key, (key, now), static (database, r) => database.Read(r.key) is { } held ? DedupRecord.From(held, r.now) : null, cancellationToken);

    public ValueTask<bool> RemoveAsync(string key, DateTimeOffset now, CancellationToken cancellationToken) =>
        RunAsync("remove", key, (key, now), static (database, r) => database.Remove(r.key, r.now), cancellationToken);

    /// <summary>
    /// Deletes the records that no longer block a claim at <paramref name="now"/> among the next
    /// <see cref="SweepBatchesPerCall"/> batches of keys, carrying on where the last call stopped, up to the end of the
    /// table (the next call starts over). One statement per batch, each its own call, so claims are never held up for
    /// more than one batch. Returns how many were deleted.
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
        TakeConnection();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _stopping.Cancel();
            _database?.Dispose();
            _database = null;
        }
        finally
        {
            LetGo(); // calls still queued are answered: the store was disposed
        }

        // The checkpointer's connection is closed too before this returns: the file is then complete on its own.
        _checkpoints?.GetAwaiter().GetResult();
        _stopping.Dispose();
        _checkpointDue.Dispose();
    }

    private ValueTask<T> RunAsync<TState, T>(string operation, string key, TState state, Func<SqliteDatabase, TState, T> call, CancellationToken cancellationToken)
    {
        if (_queue.IsEmpty && Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            try
            {
                return ValueTask.FromResult(RunAlone(operation, key, state, call));
            }
            catch (DedupStoreUnavailableException ex)
            {
                return ValueTask.FromException<T>(ex);
            }
            finally
            {
                LetGo();
            }
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        var queued = new QueuedCall<TState, T>(operation, key, _time.GetTimestamp(), state, call);
        queued.CancelWith(cancellationToken);
        _queue.Enqueue(queued);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            StartWriter(); // the connection was let go between the check above and the enqueue
        }

        return new ValueTask<T>(queued.Answer);
    }

    /// <summary>Runs one call with the connection owned, in its own statement or transaction.</summary>
    private T RunAlone<TState, T>(string operation, string key, TState state, Func<SqliteDatabase, TState, T> call)
    {
        try
        {
            var result = call(Database(), state);
            Committed(1);
            return result;
        }
        catch (Exception ex) when (IsSqliteFault(ex))
        {
            throw Unavailable(ex, operation, key);
        }
    }

    /// <summary>The writer: runs what queued, a batch per commit, until the queue is empty; then lets the connection go.</summary>
    private void WriteQueued()
    {
        while (true)
        {
            while (_batch.Count < MaxBatch && _queue.TryDequeue(out var next))
            {
                if (!next.TryTake())
                {
                    continue; // its caller gave up while it queued
                }

                if (_time.GetElapsedTime(next.QueuedAt) > SqliteDatabase.BusyTimeout)
                {
                    Log.Unavailable(_logger, null, next.Operation, next.Key, "waited for this process's earlier calls");
                    next.Fail(new DedupStoreUnavailableException($"SQLite store busy: the {next.Operation} waited {SqliteDatabase.BusyTimeout.TotalSeconds:0.#} s behind this process's earlier calls."));
                    continue;
                }

                _batch.Add(next);
            }

            if (_batch.Count == 0)
            {
                Volatile.Write(ref _writing, 0);
                if (_queue.IsEmpty || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            RunBatch();
            _batch.Clear();
        }
    }

    /// <summary>
    /// Runs the batch in one transaction (one call alone needs none) and answers each call after the commit; when any
    /// part fails, the batch is rolled back and each caller gets the failure.
    /// </summary>
    private void RunBatch()
    {
        Exception? failure = null;
        try
        {
            var database = Database();
            var together = _batch.Count > 1;
            if (together)
            {
                database.Begin();
            }

            try
            {
                foreach (var call in _batch)
                {
                    call.Run(database);
                }

                if (together)
                {
                    database.Commit();
                }
            }
            catch when (together)
            {
                database.RollBackIfOpen();
                throw;
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        if (failure is null)
        {
            Committed(_batch.Count);
        }

        foreach (var call in _batch)
        {
            if (failure is null)
            {
                call.Succeed();
            }
            else
            {
                call.Fail(failure switch
                {
                    DedupStoreUnavailableException unavailable => new DedupStoreUnavailableException(unavailable.Message, unavailable),
                    _ when IsSqliteFault(failure) => Unavailable(failure, call.Operation, call.Key),
                    _ => failure,
                });
            }
        }
    }

    private SqliteDatabase Database()
    {
        if (_disposed)
        {
            throw new DedupStoreUnavailableException("The SQLite store was disposed.");
        }

        // Opened on first use when no host opened it; a file that cannot be opened fails this call, not the process.
        return OpenDatabase();
    }

    private SqliteDatabase OpenDatabase()
    {
        if (_database is null)
        {
            _database = SqliteDatabase.Open(Path, _fullSync);
            _checkpoints ??= Task.Run(CheckpointAsync);
        }

        return _database;
    }

    /// <summary>Counts committed calls, and asks for a checkpoint every <see cref="CallsPerCheckpoint"/>.</summary>
    private void Committed(int calls)
    {
        _committedSinceCheckpoint += calls;
        if (_committedSinceCheckpoint >= CallsPerCheckpoint)
        {
            _committedSinceCheckpoint = 0;
            if (_checkpointDue.CurrentCount == 0) // only the writer releases, so this cannot overfill it
            {
                _checkpointDue.Release();
            }
        }
    }

    /// <summary>
    /// Copies the WAL into the file from a connection of its own when asked, so that the flush a checkpoint does never
    /// holds up a call (SQLite's own checkpoint, inside a commit, stays as a backstop at a larger WAL).
    /// </summary>
    private async Task CheckpointAsync()
    {
        SqliteDatabase? checkpointer = null;
        try
        {
            while (true)
            {
                await _checkpointDue.WaitAsync(_stopping.Token).ConfigureAwait(false);
                try
                {
                    checkpointer ??= SqliteDatabase.Open(Path, _fullSync);
                    checkpointer.Checkpoint();
                }
                catch (Exception ex) when (IsSqliteFault(ex))
                {
                    Log.CheckpointFailed(_logger, Path, Describe(ex));
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        finally
        {
            checkpointer?.Dispose();
        }
    }

    /// <summary>Waits (spinning: only start-up and disposal come here) until this thread owns the connection.</summary>
    private void TakeConnection()
    {
        var spinner = default(SpinWait);
        while (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            spinner.SpinOnce();
        }
    }

    /// <summary>Lets the connection go, and starts the writer when calls queued meanwhile.</summary>
    private void LetGo()
    {
        Volatile.Write(ref _writing, 0);
        if (!_queue.IsEmpty && Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            StartWriter();
        }
    }

    private void StartWriter() => ThreadPool.UnsafeQueueUserWorkItem(static store => store.WriteQueued(), this, preferLocal: false);

    private DedupStoreUnavailableException Unavailable(Exception exception, string operation, string key)
    {
        Log.Unavailable(_logger, exception, operation, key, Describe(exception));
        return new DedupStoreUnavailableException($"SQLite could not {operation} ({Path}): {Describe(exception)}", exception);
    }

    private static bool IsSqliteFault(Exception exception) => exception is SqliteException or NewerSchemaException or InvalidOperationException;

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

    /// <summary>A call waiting for the connection: the writer takes it once, unless its caller gave up first.</summary>
    private abstract class QueuedCall(string operation, string key, long queuedAt)
    {
        private const int Queued = 0;
        private const int Taken = 1;
        private const int Abandoned = 2;
        private int _state;

        public string Operation => operation;

        public string Key => key;

        public long QueuedAt => queuedAt;

        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        public abstract void Run(SqliteDatabase database);

        /// <summary>Answers the caller with what <see cref="Run"/> returned: only after its commit.</summary>
        public abstract void Succeed();

        public abstract void Fail(Exception error);

        protected bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued;
    }

    private sealed class QueuedCall<TState, T>(string operation, string key, long queuedAt, TState state, Func<SqliteDatabase, TState, T> call)
        : QueuedCall(operation, key, queuedAt)
    {
        // Continuations run elsewhere, so that answering a batch never runs its callers' code on the writer.
        private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private CancellationTokenRegistration _cancellation;
        private T? _result;

        public Task<T> Answer => _answer.Task;

        /// <summary>A caller that gives up while its call is still queued gets a cancellation; once taken, it runs.</summary>
        public void CancelWith(CancellationToken cancellationToken) =>
            _cancellation = cancellationToken.UnsafeRegister(static (self, token) => ((QueuedCall<TState, T>)self!).Abandon(token), this);

        public override void Run(SqliteDatabase database) => _result = call(database, state);

        public override void Succeed()
        {
            _cancellation.Dispose();
            _answer.SetResult(_result!);
        }

        public override void Fail(Exception error)
        {
            _cancellation.Dispose();
            _answer.SetException(error);
        }

        private void Abandon(CancellationToken token)
        {
            if (TryAbandon())
            {
                _answer.SetCanceled(token);
            }
        }
    }
}
