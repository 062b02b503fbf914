using System.Globalization;
using GenesysDedup.Domain;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace GenesysDedup.Stores.Sqlite;

/// <summary>
/// One open connection to the store's file and its prepared statements (docs/stores.md#sqlite). Not thread-safe: the
/// store lets one call at a time in. Times are epoch milliseconds of the engine's clock, passed in; SQLite's own clock
/// is never read. A claim writes <c>expires_at</c> = its lease, so "no longer blocks a claim at now" is
/// <c>expires_at &lt;= now</c> for both statuses. No index on it, so a write changes one B-tree, not two
/// (docs/stores.md#file-layout); the sweeper walks the keys in order instead.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    /// <summary>The layout this build writes (<c>PRAGMA user_version</c>); a file with none or an older one is migrated.</summary>
    public const int SchemaVersion = 3;

    /// <summary>
    /// How long a statement waits while another process holds the write lock. A delivery's claim (at most two writes)
    /// and completion together then stay under <c>Dedup:StoreTimeout</c> (4 s by default), so a file held too long
    /// answers store_unavailable instead of hanging; another process's own writes hold the lock for milliseconds.
    /// </summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Keys one sweep statement looks at: it holds the write lock for a millisecond or so.</summary>
    public const int SweepBatch = 500;

    /// <summary>
    /// WAL pages after which a commit checkpoints by itself: a backstop, ten times SQLite's default, because the store
    /// checkpoints from a connection of its own every <see cref="SqliteDedupStore.CallsPerCheckpoint"/> calls.
    /// </summary>
    public const int AutoCheckpointPages = 10_000;

    // A claim whose row another process rewrote between its two statements tries once more; two rounds of at most one
    // busy timeout each, and a completion's one, keep a delivery inside Dedup:StoreTimeout.
    private const int MaxClaimRounds = 2;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS dedup_records (
          key              TEXT    NOT NULL PRIMARY KEY,
          completed        INTEGER NOT NULL,
          owner            TEXT    NOT NULL,
          fingerprint      TEXT    NOT NULL,
          lease_expires_at INTEGER NOT NULL,
          expires_at       INTEGER NOT NULL,
          trace_parent     TEXT,
          processed_at     INTEGER
        ) WITHOUT ROWID;
        PRAGMA user_version = 3;
        """;

    // Version 1 had no trace context, version 2 no completion time: their rows read as records without them.
    private const string FromVersion1 = "ALTER TABLE dedup_records ADD COLUMN trace_parent TEXT";
    private const string FromVersion2 = "ALTER TABLE dedup_records ADD COLUMN processed_at INTEGER";

    private const string ClaimSql = """
        INSERT INTO dedup_records (key, completed, owner, fingerprint, lease_expires_at, expires_at, trace_parent)
        VALUES ($key, 0, $owner, $fingerprint, $lease, $lease, $trace)
        ON CONFLICT (key) DO UPDATE SET completed = 0, owner = excluded.owner, fingerprint = excluded.fingerprint,
          lease_expires_at = excluded.lease_expires_at, expires_at = excluded.expires_at, trace_parent = excluded.trace_parent,
          processed_at = NULL
        WHERE expires_at <= $now
        """;

    private const string ReadSql = """
        SELECT completed, owner, fingerprint, lease_expires_at, expires_at, trace_parent, processed_at FROM dedup_records WHERE key = $key
        """;

    // Over our own record (keeping its lease), over none, or over one that no longer blocks; never over another
    // owner's live record (fencing). $now is also the completion time kept in processed_at.
    private const string CompleteSql = """
        INSERT INTO dedup_records (key, completed, owner, fingerprint, lease_expires_at, expires_at, trace_parent, processed_at)
        VALUES ($key, 1, $owner, $fingerprint, $now, $expires, $trace, $now)
        ON CONFLICT (key) DO UPDATE SET completed = 1, owner = excluded.owner, fingerprint = excluded.fingerprint,
          trace_parent = excluded.trace_parent, processed_at = excluded.processed_at,
          lease_expires_at = CASE WHEN owner = excluded.owner THEN lease_expires_at ELSE excluded.lease_expires_at END,
          expires_at = excluded.expires_at
        WHERE owner = excluded.owner OR expires_at <= $now
        """;

    private const string ReleaseSql = "DELETE FROM dedup_records WHERE key = $key AND owner = $owner";

    // The last of the next SweepBatch keys after $after (a read: no write lock), then the expired ones up to it.
    private const string SweepRangeSql = """
        SELECT max(key) FROM (SELECT key FROM dedup_records WHERE key > $after ORDER BY key LIMIT $batch)
        """;

    private const string SweepSql = "DELETE FROM dedup_records WHERE key > $after AND key <= $last AND expires_at <= $now";

    // Reads the table's root page, so a file damaged there or swapped for another answers not ready.
    private const string ReadySql = "SELECT count(*) FROM (SELECT 1 FROM dedup_records LIMIT 1)";

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _claim;
    private readonly SqliteCommand _read;
    private readonly SqliteCommand _complete;
    private readonly SqliteCommand _release;
    private readonly SqliteCommand _sweepRange;
    private readonly SqliteCommand _sweep;
    private readonly SqliteCommand _ready;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly SqliteCommand _rollBack;

    private SqliteDatabase(SqliteConnection connection)
    {
        _connection = connection;
        _claim = Prepare(ClaimSql, "$key", "$owner", "$fingerprint", "$lease", "$now", "$trace");
        _read = Prepare(ReadSql, "$key");
        _complete = Prepare(CompleteSql, "$key", "$owner", "$fingerprint", "$now", "$expires", "$trace");
        _release = Prepare(ReleaseSql, "$key", "$owner");
        _sweepRange = Prepare(SweepRangeSql, "$after", "$batch");
        _sweep = Prepare(SweepSql, "$after", "$last", "$now");
        _ready = Prepare(ReadySql);
        _begin = Prepare("BEGIN IMMEDIATE"); // takes the write lock first, waiting for other processes up to BusyTimeout
        _commit = Prepare("COMMIT");
        _rollBack = Prepare("ROLLBACK");
    }

    /// <summary>The connection, for tests that change its limits (<c>PRAGMA max_page_count</c>).</summary>
    internal SqliteConnection Connection => _connection;

    /// <summary>
    /// Opens (creating when absent) the file at <paramref name="path"/> in WAL mode and brings its schema to
    /// <see cref="SchemaVersion"/>. Throws <see cref="SqliteException"/> for what SQLite refuses and
    /// <see cref="NewerSchemaException"/> for a file written by a later layout.
    /// </summary>
    public static SqliteDatabase Open(string path, bool fullSync)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // one connection for the process's life; disposing it closes the file
            DefaultTimeout = (int)BusyTimeout.TotalSeconds, // Microsoft.Data.Sqlite's own retry of a busy statement
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)BusyTimeout.TotalMilliseconds}"));
            var journal = Convert.ToString(Scalar(connection, "PRAGMA journal_mode = WAL"), CultureInfo.InvariantCulture);
            if (!string.Equals(journal, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite kept journal mode '{journal}' instead of WAL (the file system may not support it).");
            }

            Execute(connection, fullSync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA wal_autocheckpoint = {AutoCheckpointPages}"));
            Migrate(connection);
            return new SqliteDatabase(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The file's <c>PRAGMA user_version</c>.</summary>
    public static int VersionOf(SqliteConnection connection) =>
        Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), CultureInfo.InvariantCulture);

    public ClaimResult Claim(ClaimRequest request)
    {
        for (var round = 0; round < MaxClaimRounds; round++)
        {
            if (Run(_claim, request.Key, request.Owner, request.Fingerprint, Ms(request.LeaseExpiresAt), Ms(request.JudgedAt), Trace(request.TraceParent)) == 1)
            {
                return ClaimResult.Acquired;
            }

            // A live record holds the key: say what it is. Between the two statements another process may have
            // released, swept or taken it over; then the claim is tried again.
            if (Read(request.Key) is { } held)
            {
                var found = held.Judge(request);
                if (found.Status != ClaimStatus.Acquired || held.Owner == request.Owner)
                {
                    return found;
                }
            }
        }

        throw new DedupStoreUnavailableException($"SQLite claim of '{request.Key}' lost {MaxClaimRounds} races with other processes in a row.");
    }

    public bool Complete(CompleteRequest request) =>
        Run(_complete, request.Key, request.Owner, request.Fingerprint, Ms(request.Now), Ms(request.ExpiresAt), Trace(request.TraceParent)) == 1;

    public bool Release(string key, string owner) => Run(_release, key, owner) == 1;

    /// <summary>
    /// Deletes the records that no longer block a claim at <paramref name="now"/> among the <see cref="SweepBatch"/>
    /// keys after <paramref name="after"/>; returns the last key looked at (null past the end of the table) and how
    /// many were deleted.
    /// </summary>
    public (string? Last, int Removed) SweepAfter(string after, DateTimeOffset now)
    {
        _sweepRange.Parameters[0].Value = after;
        _sweepRange.Parameters[1].Value = SweepBatch;
        return _sweepRange.ExecuteScalar() is string last ? (last, Run(_sweep, after, last, Ms(now))) : (null, 0);
    }

    public void CheckReady() => _ready.ExecuteScalar();

    /// <summary>Starts a transaction of several calls (group commit), holding the file's write lock until its end.</summary>
    public void Begin() => _begin.ExecuteNonQuery();

    public void Commit() => _commit.ExecuteNonQuery();

    /// <summary>Rolls the transaction back, unless SQLite already did (it does on some errors, such as a full disk).</summary>
    public void RollBackIfOpen()
    {
        if (raw.sqlite3_get_autocommit(_connection.Handle) == 0)
        {
            _rollBack.ExecuteNonQuery();
        }
    }

    /// <summary>Copies what it can of the WAL into the file without waiting for readers or the writer.</summary>
    public void Checkpoint() => Execute(_connection, "PRAGMA wal_checkpoint(PASSIVE)");

    public StoredRecord? Read(string key)
    {
        _read.Parameters[0].Value = key;
        using var reader = _read.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new StoredRecord(
            reader.GetInt64(0) == 1 ? RecordStatus.Completed : RecordStatus.InProgress,
            reader.GetString(1),
            reader.GetString(2),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)))
        {
            TraceParent = reader.IsDBNull(5) ? null : reader.GetString(5),
            ProcessedAt = reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        };
    }

    /// <summary>
    /// Deletes the key's record when it still blocks a claim at <paramref name="now"/>; true when it did. An expired
    /// row is left to the sweeper. Operator calls are rare, so the statement is not kept prepared.
    /// </summary>
    public bool Remove(string key, DateTimeOffset now)
    {
        using var remove = _connection.CreateCommand();
        remove.CommandText = "DELETE FROM dedup_records WHERE key = $key AND expires_at > $now";
        remove.CommandTimeout = (int)BusyTimeout.TotalSeconds;
        remove.Parameters.AddWithValue("$key", key);
        remove.Parameters.AddWithValue("$now", Ms(now));
        return remove.ExecuteNonQuery() == 1;
    }

    public void Dispose()
    {
        foreach (var command in new[] { _claim, _read, _complete, _release, _sweepRange, _sweep, _ready, _begin, _commit, _rollBack })
        {
            command.Dispose();
        }

        _connection.Dispose();
    }

    private static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static object Trace(string? traceParent) => (object?)traceParent ?? DBNull.Value;

    private static int Run(SqliteCommand command, params ReadOnlySpan<object> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        return command.ExecuteNonQuery();
    }

    private SqliteCommand Prepare(string sql, params ReadOnlySpan<string> parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = (int)BusyTimeout.TotalSeconds;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    /// <summary>Creates the schema in a file that has none (version 0) or an older one; refuses a newer one.</summary>
    private static void Migrate(SqliteConnection connection)
    {
        if (VersionOf(connection) == SchemaVersion)
        {
            return;
        }

        // BEGIN IMMEDIATE: processes starting on one file migrate it one after the other, and each reads the version
        // again once it holds the lock, so a file another process migrated meanwhile is left as it is.
        using var transaction = connection.BeginTransaction(deferred: false);
        var version = VersionOf(connection);
        if (version > SchemaVersion)
        {
            throw new NewerSchemaException(version);
        }

        if (version == 0)
        {
            Execute(connection, Schema);
        }
        else if (version < SchemaVersion)
        {
            if (version < 2)
            {
                Execute(connection, FromVersion1);
            }

            Execute(connection, FromVersion2);
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {SchemaVersion}"));
        }

        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

/// <summary>The file's schema was written by a later build of the store, whose layout this one cannot read.</summary>
internal sealed class NewerSchemaException(int version)
    : Exception($"it holds schema version {version}, newer than version {SqliteDatabase.SchemaVersion} that this build reads: it was written by a later release of GenesysDedup. Run that release, or point Dedup:Sqlite:Path at another file.");
