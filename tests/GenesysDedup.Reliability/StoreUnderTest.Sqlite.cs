using System.Diagnostics;
using GenesysDedup.Testing;
using Microsoft.Data.Sqlite;

namespace GenesysDedup.Reliability;

internal abstract partial class StoreUnderTest
{
    /// <summary>
    /// One SQLite file in the run's folder, shared by every host process: the crash scenario restarts the host on the
    /// same file. Its outage makes the file unwritable while the hosts keep running, then lets it recover: <c>lock</c>
    /// holds a write transaction on it from another real connection, past the hosts' busy timeout, then rolls it back;
    /// <c>full-disk</c> puts the folder on a small tmpfs mount and fills that with a ballast file, then deletes it.
    /// </summary>
    private sealed class Sqlite : StoreUnderTest
    {
        private const string TmpfsSize = "64m";

        private readonly string _path;
        private readonly bool _fullDisk;
        private SqliteConnection? _locker;

        private Sqlite(string dataDirectory, string synchronous, bool fullDisk)
            : base(dataDirectory)
        {
            _path = Path.Combine(dataDirectory, "genesys-dedup.db");
            _fullDisk = fullDisk;
            Description = $"SQLite file {_path}, synchronous={synchronous}{(fullDisk ? $", on a {TmpfsSize} tmpfs" : "")}";
            var settings = StoreSettings.Sqlite(_path);
            settings["Dedup:Sqlite:Synchronous"] = synchronous;
            HostEnvironment = settings.AsEnvironment();
        }

        public override string Name => "sqlite";

        public override string Description { get; }

        public override IReadOnlyDictionary<string, string?> HostEnvironment { get; }

        private string Ballast => Path.Combine(Path.GetDirectoryName(_path)!, "ballast");

        public static async Task<StoreUnderTest> CreateAsync(string dataDirectory, string synchronous, bool fullDisk, CancellationToken cancellationToken)
        {
            Directory.CreateDirectory(dataDirectory);
            if (fullDisk)
            {
                await RunAsync("mount", ["-t", "tmpfs", "-o", $"size={TmpfsSize}", "tmpfs", dataDirectory], cancellationToken);
            }

            return new Sqlite(dataDirectory, synchronous, fullDisk);
        }

        public override async Task BeginOutageAsync(CancellationToken cancellationToken)
        {
            _locker = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
            await _locker.OpenAsync(cancellationToken);
            if (_fullDisk)
            {
                // An empty WAL: the hosts' next write must grow it, and the disk has no room left.
                await ExecuteAsync("PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken);
                await FillAsync(Ballast, cancellationToken);
            }
            else
            {
                // WAL mode: the write lock. The hosts' writers wait their busy timeout, then get SQLITE_BUSY.
                await ExecuteAsync("BEGIN EXCLUSIVE", cancellationToken);
            }
        }

        public override async Task EndOutageAsync(CancellationToken cancellationToken)
        {
            if (_fullDisk)
            {
                File.Delete(Ballast);
            }
            else
            {
                await ExecuteAsync("ROLLBACK", cancellationToken);
            }

            await _locker!.DisposeAsync();
            _locker = null;
        }

        protected override async ValueTask DisposeServerAsync()
        {
            if (_locker is not null)
            {
                await _locker.DisposeAsync();
            }

            SqliteConnection.ClearAllPools();
            if (_fullDisk)
            {
                // Lazy: a host killed a moment ago may still hold the mount for a few milliseconds.
                await RunAsync("umount", ["--lazy", Path.GetDirectoryName(_path)!], CancellationToken.None);
            }
        }

        private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
        {
            await using var command = _locker!.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        /// <summary>Writes <paramref name="path"/> until the file system has no byte left (ENOSPC), in ever smaller pieces.</summary>
        private static async Task FillAsync(string path, CancellationToken cancellationToken)
        {
            await using var ballast = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            for (var size = 1 << 20; size >= 512; size /= 2)
            {
                var chunk = new byte[size];
                try
                {
                    while (true)
                    {
                        await ballast.WriteAsync(chunk, cancellationToken);
                    }
                }
                catch (IOException)
                {
                    // full at this size; try a smaller piece
                }
            }
        }

        private static async Task RunAsync(string fileName, string[] arguments, CancellationToken cancellationToken)
        {
            using var process = Process.Start(new ProcessStartInfo(fileName, arguments) { RedirectStandardError = true, UseShellExecute = false })
                ?? throw new InvalidOperationException($"{fileName} did not start");
            var error = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Trim()}");
            }
        }
    }
}
