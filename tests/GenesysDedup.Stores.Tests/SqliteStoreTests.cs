using GenesysDedup.Domain;
using GenesysDedup.Stores.Sqlite;
using GenesysDedup.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SQLitePCL;

namespace GenesysDedup.Stores.Tests;

/// <summary>
/// The contract suite against the real SQLite library on a file, plus what only this store has: its layout, two stores
/// (as two processes would) on one file, a restart, the sweep, and every hostile condition of the file.
/// </summary>
public sealed class SqliteStoreTests : DedupStoreContractTests, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<SqliteDedupStore> _stores = [];
    private readonly SqliteDedupStore _store;

    public SqliteStoreTests()
    {
        _store = NewStore();
    }

    protected override IDedupStore Store => _store;

    private string DatabasePath => _directory.File("dedup.db");

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task ClaimAndComplete_Rows_FollowTheDocumentedLayout()
    {
        var now = Clock.GetUtcNow();
        await ClaimAsync("billing:k1", "owner1", "sha256:abc");
        var claimed = await _store.RunAsync(db => db.Read("billing:k1"));
        await CompleteAsync("billing:k1", "owner1", fingerprint: "sha256:abc");
        var completed = await _store.RunAsync(db => db.Read("billing:k1"));

        Assert.Equal(new StoredRecord(RecordStatus.InProgress, "owner1", "sha256:abc", now + Lease, now + Lease), claimed);
        Assert.Equal(new StoredRecord(RecordStatus.Completed, "owner1", "sha256:abc", now + Lease, now + Retention) { ProcessedAt = now }, completed);
        Assert.Equal(
            [$"1|owner1|sha256:abc|{Ms(now + Lease)}|{Ms(now + Retention)}|{Ms(now)}"],
            await QueryAsync("SELECT completed || '|' || owner || '|' || fingerprint || '|' || lease_expires_at || '|' || expires_at || '|' || processed_at FROM dedup_records WHERE key = 'billing:k1'"));
    }

    [Fact]
    public async Task Open_NewFile_UsesWalAndTheSchemaVersion()
    {
        await _store.CheckReadyAsync(CancellationToken.None);

        Assert.Equal(["wal"], await QueryAsync("PRAGMA journal_mode"));
        Assert.Equal(["1"], await QueryAsync("PRAGMA synchronous")); // NORMAL
        Assert.Equal([SqliteDatabase.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)], await QueryAsync("PRAGMA user_version"));
        Assert.Equal(["2"], await QueryAsync("PRAGMA synchronous", NewStore(_directory.File("full.db"), fullSync: true))); // FULL
    }

    [Fact]
    public async Task TryClaim_TwoStoresOnOneFile_OneClaimWinsAcrossThem()
    {
        // Two stores, two connections: as two processes sharing the file, each with its own gate.
        var other = NewStore();

        var race = await RaceClaimsAsync(NewKey(), i => i % 2 == 0 ? _store : other);

        AssertOneWinnerAndEveryOtherSeesItsLease(race);
    }

    [Fact]
    public async Task Complete_ThroughOneStore_IsADuplicateThroughAnotherOnTheSameFile()
    {
        var other = NewStore();
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        Assert.True(await CompleteAsync(key, owner));

        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner(), store: other)).Status);
        Assert.False(await CompleteAsync(key, NewOwner(), store: other));
    }

    [Fact]
    public async Task Complete_SurvivesClosingTheStoreAndOpeningTheFileAgain()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        Assert.True(await CompleteAsync(key, owner));
        var claimedOnly = NewKey();
        await ClaimAsync(claimedOnly, NewOwner());

        _store.Dispose();
        var reopened = NewStore();

        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner(), store: reopened)).Status);
        Assert.Equal(ClaimStatus.InProgress, (await ClaimAsync(claimedOnly, NewOwner(), store: reopened)).Status);
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(NewKey(), NewOwner()));
    }

    [Fact]
    public async Task Sweep_RemovesOnlyRecordsThatNoLongerBlock_InBatches()
    {
        var expired = SqliteDatabase.SweepBatch * 2 + 7;
        for (var i = 0; i < expired; i++)
        {
            await ClaimAsync($"gone{i}", "o", lease: TimeSpan.FromSeconds(10));
        }

        await ClaimAsync("done", "o");
        await CompleteAsync("done", "o", TimeSpan.FromHours(1));
        await ClaimAsync("live", "o", lease: TimeSpan.FromMinutes(5));
        Clock.Advance(TimeSpan.FromSeconds(30));

        var removed = await _store.SweepAsync(Clock.GetUtcNow(), CancellationToken.None);

        Assert.Equal(expired, removed);
        Assert.Equal(["2"], await QueryAsync("SELECT count(*) FROM dedup_records"));
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync("done", "other")).Status);
        Assert.Equal(ClaimStatus.InProgress, (await ClaimAsync("live", "other")).Status);
    }

    [Fact]
    public async Task SweepAfter_OneBatch_DeletesOnlyExpiredKeysAfterTheCursor_AndSaysWhereItStopped()
    {
        foreach (var key in new[] { "a", "b", "c" })
        {
            await ClaimAsync(key, "o", lease: TimeSpan.FromSeconds(10));
        }

        await ClaimAsync("d", "o", lease: TimeSpan.FromMinutes(5));
        Clock.Advance(TimeSpan.FromSeconds(30));
        var now = Clock.GetUtcNow();

        var first = await _store.RunAsync(db => db.SweepAfter("a", now));
        var end = await _store.RunAsync(db => db.SweepAfter("d", now));

        Assert.Equal(("d", 2), first);
        Assert.Equal((null, 0), end);
        Assert.Equal(["a", "d"], await QueryAsync("SELECT key FROM dedup_records ORDER BY key"));
    }

    [Fact]
    public void Open_DirectoryMissing_FailsNamingThePathAndTheCause()
    {
        var store = NewStore(_directory.File("missing/dedup.db"));

        var error = Assert.Throws<InvalidOperationException>(store.Open);

        Assert.Contains("Dedup:Sqlite:Path", error.Message, StringComparison.Ordinal);
        Assert.Contains(_directory.File("missing/dedup.db"), error.Message, StringComparison.Ordinal);
        Assert.Contains("unable to open database file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operations_DirectoryMissing_AreUnavailable_AndWorkOnceItExists()
    {
        var store = NewStore(_directory.File("later/dedup.db"));

        await AssertEveryOperationUnavailableAsync(store, NewKey(), NewOwner());
        Directory.CreateDirectory(_directory.File("later"));

        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(NewKey(), NewOwner(), store: store)).Status);
    }

    [Fact]
    public void Open_DirectoryNobodyMayCreateFilesIn_FailsNamingThePath()
    {
        // Root may write anywhere chmod forbids; nobody may create a file under /proc.
        var store = NewStore("/proc/genesys-dedup.db");

        var error = Assert.Throws<InvalidOperationException>(store.Open);

        Assert.Contains("Dedup:Sqlite:Path '/proc/genesys-dedup.db'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_FileThatIsNotADatabase_FailsNamingThePath_AndLeavesTheFileAlone()
    {
        var text = string.Concat(Enumerable.Repeat("these are somebody's notes, not a database\n", 200));
        await File.WriteAllTextAsync(DatabasePath, text);
        var store = NewStore(DatabasePath);

        var error = Assert.Throws<InvalidOperationException>(store.Open);

        Assert.Contains("Dedup:Sqlite:Path", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a database", error.Message, StringComparison.Ordinal);
        Assert.Equal(text, await File.ReadAllTextAsync(DatabasePath));
        await AssertEveryOperationUnavailableAsync(store, NewKey(), NewOwner());
    }

    [Fact]
    public async Task Open_FileOfSchemaVersion1_GainsTheTraceColumnAndItsRecordsStillRead()
    {
        var now = Clock.GetUtcNow();
        var v1Path = _directory.File("v1.db");
        using (var connection = new SqliteConnection($"Data Source={v1Path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                CREATE TABLE dedup_records (
                  key TEXT NOT NULL PRIMARY KEY, completed INTEGER NOT NULL, owner TEXT NOT NULL, fingerprint TEXT NOT NULL,
                  lease_expires_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO dedup_records VALUES ('old', 1, 'owner1', '{Fingerprint}', {now.ToUnixTimeMilliseconds()}, {(now + Retention).ToUnixTimeMilliseconds()});
                PRAGMA user_version = 1;
                """;
            command.ExecuteNonQuery();
        }

        var store = NewStore(v1Path);
        var old = await ClaimAsync("old", NewOwner(), store: store, traceParent: TraceB);
        var key = NewKey();
        await ClaimAsync(key, NewOwner(), store: store, traceParent: TraceA);

        Assert.Equal(ClaimStatus.Duplicate, old.Status);
        Assert.Null(old.TraceParent);
        Assert.Equal(TraceA, (await ClaimAsync(key, NewOwner(), store: store)).TraceParent);
        Assert.Equal(["3"], await QueryAsync("PRAGMA user_version", store));
    }

    [Fact]
    public async Task Open_FileOfSchemaVersion2_GainsTheProcessedAtColumn_AndItsRecordsStillReadCompleteAndRelease()
    {
        var now = Clock.GetUtcNow();
        var v2Path = _directory.File("v2.db");
        WriteVersion2File(v2Path, $"""
            INSERT INTO dedup_records VALUES ('done', 1, 'owner1', '{Fingerprint}', {Ms(now)}, {Ms(now + Retention)}, NULL);
            INSERT INTO dedup_records VALUES ('held', 0, 'owner2', '{Fingerprint}', {Ms(now + Lease)}, {Ms(now + Lease)}, '{TraceA}');
            INSERT INTO dedup_records VALUES ('failing', 0, 'owner3', '{Fingerprint}', {Ms(now + Lease)}, {Ms(now + Lease)}, NULL);
            """);

        var store = NewStore(v2Path);
        var done = await FindAsync("done", store);
        var duplicate = await ClaimAsync("done", NewOwner(), store: store);
        var heldBefore = await FindAsync("held", store);
        var busy = await ClaimAsync("held", NewOwner(), store: store);
        Clock.Advance(TimeSpan.FromSeconds(2));
        var completed = await CompleteAsync("held", "owner2", store: store);
        var heldAfter = await FindAsync("held", store);
        var released = await ReleaseAsync("failing", "owner3", store);
        var retry = await ClaimAsync("failing", NewOwner(), store: store);

        Assert.Equal(DedupRecordStatus.Completed, done?.Status);
        Assert.Null(done?.ProcessedAt);
        Assert.Equal(now + Retention, done?.ExpiresAt);
        Assert.Equal(ClaimStatus.Duplicate, duplicate.Status);
        Assert.Equal(DedupRecordStatus.InProgress, heldBefore?.Status);
        Assert.Equal(ClaimStatus.InProgress, busy.Status);
        Assert.Equal(TraceA, busy.TraceParent);
        Assert.True(completed);
        Assert.Equal(DedupRecordStatus.Completed, heldAfter?.Status);
        Assert.Equal(now + TimeSpan.FromSeconds(2), heldAfter?.ProcessedAt);
        Assert.True(released);
        Assert.Equal(ClaimStatus.Acquired, retry.Status);
        Assert.Equal(["3"], await QueryAsync("PRAGMA user_version", store));
    }

    [Fact]
    public async Task Open_FileOfSchemaVersion2_ByManyStoresAtOnce_IsMigratedOnceAndEveryOneOpens()
    {
        // Each store has its own connection, as each process sharing the file has; all start at the same moment.
        var v2Path = _directory.File("v2-shared.db");
        WriteVersion2File(v2Path, string.Empty);
        var stores = Enumerable.Range(0, 8).Select(_ => NewStore(v2Path)).ToList();
        using var start = new Barrier(stores.Count);

        await Task.WhenAll(stores.Select(store => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                store.Open();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));

        Assert.Equal(["3"], await QueryAsync("PRAGMA user_version", stores[0]));
        Assert.Single(await QueryAsync("SELECT name FROM pragma_table_info('dedup_records') WHERE name = 'processed_at'", stores[0]));
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner, store: stores[1]);
        Assert.True(await CompleteAsync(key, owner, store: stores[2]));
        Assert.Equal(Clock.GetUtcNow(), (await FindAsync(key, stores[3]))?.ProcessedAt);
    }

    [Fact]
    public void Open_SchemaOfANewerRelease_FailsNamingThePathAndTheVersion()
    {
        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 7";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<InvalidOperationException>(NewStore(DatabasePath).Open);

        Assert.Contains("Dedup:Sqlite:Path", error.Message, StringComparison.Ordinal);
        Assert.Contains("schema version 7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operations_OnACorruptFile_AreUnavailable_NeverACrash()
    {
        var completed = new List<string>();
        for (var i = 0; i < 2_000; i++)
        {
            var key = $"{NewKey()}:{i}";
            await ClaimAsync(key, "o");
            await CompleteAsync(key, "o");
            completed.Add(key);
        }

        _store.Dispose(); // the last connection out checkpoints the WAL into the file
        Overwrite(DatabasePath, fromPage: 2, pages: (int)(new FileInfo(DatabasePath).Length / 4096) - 3);
        var store = NewStore(DatabasePath);

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => store.CheckReadyAsync(CancellationToken.None).AsTask());
        foreach (var key in completed.Take(20))
        {
            await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(key, NewOwner(), store: store));
        }
    }

    [Fact]
    public async Task Operations_DiskFull_AreUnavailable_KeepWhatWasWritten_AndRecoverWithRoom()
    {
        var kept = NewKey();
        await ClaimAsync(kept, "o");
        await CompleteAsync(kept, "o");
        // The real SQLITE_FULL: the connection may not grow the file past the pages it has.
        var pages = await _store.RunAsync(db => Scalar(db.Connection, "PRAGMA page_count"));
        await _store.RunAsync(db => Scalar(db.Connection, $"PRAGMA max_page_count = {pages}"));

        DedupStoreUnavailableException? full = null;
        for (var i = 0; i < 10_000 && full is null; i++)
        {
            full = await Record.ExceptionAsync(() => ClaimAsync($"{NewKey()}:{new string('x', 200)}", NewOwner())) as DedupStoreUnavailableException;
        }

        Assert.NotNull(full);
        Assert.Contains("full", full.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(kept, NewOwner())).Status);
        await _store.RunAsync(db => Scalar(db.Connection, "PRAGMA max_page_count = 1073741823"));
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(NewKey(), NewOwner())).Status);
    }

    [Fact]
    public async Task Calls_QueuedBehindABusyConnection_CommitTogether_AndEachGetsItsOwnAnswer()
    {
        var completed = NewKey();
        await ClaimAsync(completed, "o");
        await CompleteAsync(completed, "o");
        var commits = 0;
        await _store.RunAsync(db =>
        {
            raw.sqlite3_commit_hook(db.Connection.Handle, _ =>
            {
                Interlocked.Increment(ref commits);
                return 0; // let it commit
            }, null);
            return 0;
        });
        using var held = HoldConnection();

        var claims = Enumerable.Range(0, 20).Select(_ => NewKey()).Select(key => ClaimAsync(key, NewOwner())).ToList();
        var duplicate = ClaimAsync(completed, NewOwner());
        var notOwner = CompleteAsync(completed, NewOwner());
        held.Release();

        Assert.All(await Task.WhenAll(claims), answer => Assert.Equal(ClaimStatus.Acquired, answer.Status));
        Assert.Equal(ClaimStatus.Duplicate, (await duplicate).Status);
        Assert.False(await notOwner);
        Assert.Equal(1, commits);
    }

    [Fact]
    public async Task TryClaim_CancelledWhileQueued_IsCancelledAndNotRun()
    {
        var key = NewKey();
        using var cancel = new CancellationTokenSource();
        using var held = HoldConnection();

        var now = Clock.GetUtcNow();
        var claim = _store.TryClaimAsync(new ClaimRequest(key, NewOwner(), "sha256:abc", now, now + Lease), cancel.Token).AsTask();
        await cancel.CancelAsync();
        held.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => claim);
        Assert.Null(await FindAsync(key));
    }

    [Fact]
    public async Task Calls_QueuedWhileAnotherProcessHoldsTheLock_AreEachUnavailable_AndNothingIsHalfWritten()
    {
        var keys = Enumerable.Range(0, 10).Select(_ => NewKey()).ToList();
        await _store.CheckReadyAsync(CancellationToken.None); // opened before the lock: only the batch meets it
        using var holder = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        holder.Open();
        Scalar(holder, "BEGIN EXCLUSIVE");
        using var held = HoldConnection();

        var claims = keys.Select(key => ClaimAsync(key, NewOwner())).ToList();
        held.Release();
        foreach (var claim in claims)
        {
            await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => claim);
        }

        Scalar(holder, "ROLLBACK");
        foreach (var key in keys)
        {
            Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, NewOwner())).Status);
        }
    }

    [Fact]
    public async Task Operations_FileLockedPastTheBusyTimeout_AreUnavailable_AndRecoverWhenReleased()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        using var holder = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        holder.Open();
        Scalar(holder, "BEGIN EXCLUSIVE");

        var error = await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(NewKey(), NewOwner()));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => CompleteAsync(key, owner));

        Assert.Contains("locked", error.Message, StringComparison.OrdinalIgnoreCase);
        Scalar(holder, "ROLLBACK");
        Assert.True(await CompleteAsync(key, owner));
    }

    /// <summary>Keeps the store's connection busy (a call that waits) until released, so that calls made meanwhile queue.</summary>
    private HeldConnection HoldConnection()
    {
        var held = new HeldConnection();
        held.Holder = Task.Run(() => _store.RunAsync(_ =>
        {
            held.Entered.Set();
            held.Released.Wait();
            return 0;
        }).AsTask());
        // A call that fails before it runs never enters: then its error, rather than waiting forever.
        WaitHandle.WaitAny([held.Entered.WaitHandle, ((IAsyncResult)held.Holder).AsyncWaitHandle]);
        if (held.Holder.IsCompleted)
        {
            held.Holder.GetAwaiter().GetResult();
        }

        return held;
    }

    /// <summary>A file in the layout of schema version 2 (before <c>processed_at</c>), with <paramref name="rows"/> inserted.</summary>
    private static void WriteVersion2File(string path, string rows)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            CREATE TABLE dedup_records (
              key TEXT NOT NULL PRIMARY KEY, completed INTEGER NOT NULL, owner TEXT NOT NULL, fingerprint TEXT NOT NULL,
              lease_expires_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, trace_parent TEXT) WITHOUT ROWID;
            {rows}
            PRAGMA user_version = 2;
            """;
        command.ExecuteNonQuery();
    }

    private static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private SqliteDedupStore NewStore(string? path = null, bool fullSync = false)
    {
        var store = new SqliteDedupStore(path ?? DatabasePath, fullSync, TimeProvider.System, NullLogger<SqliteDedupStore>.Instance);
        _stores.Add(store);
        return store;
    }

    private Task<List<string>> QueryAsync(string sql, SqliteDedupStore? store = null) => (store ?? _store).RunAsync(db =>
    {
        using var command = db.Connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return rows;
    }).AsTask();

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>Overwrites <paramref name="pages"/> 4 KiB pages from page <paramref name="fromPage"/> (1-based) with garbage.</summary>
    private static void Overwrite(string path, int fromPage, int pages)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.Position = (fromPage - 1) * 4096L;
        var garbage = new byte[4096];
        new Random(14).NextBytes(garbage);
        for (var i = 0; i < pages; i++)
        {
            file.Write(garbage);
        }
    }
}

/// <summary><c>UseSqliteStore</c>: options from the configuration given to <c>AddGenesysDedup</c>, then the action, checked at start.</summary>
public sealed class SqliteStoreBuilderExtensionsTests
{
    [Fact]
    public void UseSqliteStore_GivenASubSection_BindsUnderItAndTheActionRunsAfter()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MyApp:Dedup:Sqlite:Path"] = "from-config.db",
            ["MyApp:Dedup:Sqlite:Synchronous"] = "FULL",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddGenesysDedup(configuration.GetSection("MyApp")).AddLogHandler().UseSqliteStore(o => o.Path = "from-code.db");
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value;
        var store = Assert.IsType<SqliteDedupStore>(provider.GetRequiredService<IDedupStore>());

        Assert.Equal(("from-code.db", "FULL"), (options.Path, options.Synchronous));
        Assert.Equal(Path.GetFullPath("from-code.db"), store.Path);
    }

    [Theory]
    [InlineData("Synchronous", "off", "Dedup:Sqlite:Synchronous is 'off'; expected normal or full.")]
    [InlineData("Path", "", "Dedup:Sqlite:Path is empty")]
    public void UseSqliteStore_BadValue_FailsAtStartNamingTheKey(string key, string value, string message)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"Dedup:Sqlite:{key}"] = value }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddGenesysDedup(configuration).AddLogHandler().UseSqliteStore();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}

/// <summary>A store connection held by a call that waits for <see cref="Release"/>.</summary>
internal sealed class HeldConnection : IDisposable
{
    public ManualResetEventSlim Entered { get; } = new();

    public ManualResetEventSlim Released { get; } = new();

    public Task Holder { get; set; } = Task.CompletedTask;

    public void Release()
    {
        Released.Set();
        Holder.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        Released.Set();
        Entered.Dispose();
        Released.Dispose();
    }
}
