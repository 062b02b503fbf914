using System.Globalization;
using GenesysDedup.Stores.Sqlite;
using Microsoft.Data.Sqlite;

namespace GenesysDedup.Benchmarks.Workload;

/// <summary>
/// A fresh SQLite store file in the temp folder for one run, deleted with its <c>-wal</c> and <c>-shm</c> at the end.
/// Also opens connections to it the store's own way (<see cref="SqliteDatabase.Open"/>: WAL, synchronous, busy
/// timeout, schema) for the floor and for the checkpoint before the file is measured.
/// </summary>
internal sealed class SqliteTempFile : IDisposable
{
    private readonly List<SqliteDatabase> _opened = [];

    public SqliteTempFile(string synchronous)
    {
        Synchronous = synchronous is "normal" or "full" ? synchronous : throw new ArgumentException("--synchronous must be normal or full");
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"genesysdedup-bench-{Guid.NewGuid():N}.db");
    }

    public string Path { get; }

    public string Synchronous { get; }

    /// <summary>The file and its write-ahead log, in bytes.</summary>
    public long Bytes => Size(Path) + Size(Path + "-wal");

    public void AddSettings(IDictionary<string, string?> settings)
    {
        settings["Dedup:Sqlite:Path"] = Path;
        settings["Dedup:Sqlite:Synchronous"] = Synchronous;
    }

    /// <summary>
    /// The floor: <c>INSERT … ON CONFLICT DO NOTHING</c> of a new key (<c>$key</c>, its only parameter) into the store's
    /// table, with a row the size of a claim's (a fingerprint key, owner token and fingerprint, two times).
    /// </summary>
    public SqliteCommand PrepareFloorInsert()
    {
        var command = Open().CreateCommand();
        var expires = DateTimeOffset.UnixEpoch.AddYears(100).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        command.CommandText = $"""
            INSERT INTO dedup_records (key, completed, owner, fingerprint, lease_expires_at, expires_at)
            VALUES ($key, 0, '{Guid.NewGuid():N}', 'sha256:{new string('0', 64)}', {expires}, {expires})
            ON CONFLICT DO NOTHING
            """;
        command.Parameters.Add(new SqliteParameter { ParameterName = "$key" });
        command.Prepare();
        return command;
    }

    /// <summary>Copies the write-ahead log into the file and truncates it (<c>PRAGMA wal_checkpoint(TRUNCATE)</c>).</summary>
    public void Checkpoint()
    {
        using var command = Open().CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var database in _opened)
        {
            database.Dispose();
        }

        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(Path + suffix);
        }
    }

    private SqliteConnection Open()
    {
        var database = SqliteDatabase.Open(Path, fullSync: Synchronous == "full");
        _opened.Add(database);
        return database.Connection;
    }

    private static long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
}
