using System.Net;
using GenesysDedup.Testing;
using Microsoft.Data.Sqlite;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// The HTTP host's default store, sqlite, through the real host: keys kept across <c>kill -9</c>, a file that cannot be
/// used stops the start naming <c>Dedup:Sqlite:Path</c>, and a file held by another process answers 503
/// store_unavailable until it is let go.
/// </summary>
public sealed class SqliteHostTests
{
    [Fact]
    public async Task Host_WithNoStoreConfigured_KeepsKeysInTheWorkingDirectoryAcrossKill9()
    {
        using var directory = new TempDirectory();
        var body = EventBuilder.UniqueGenesysEvent();
        string first;
        string output;
        await using (var host = await RunningHost.StartAsync(workingDirectory: directory.Path))
        {
            using var client = new HttpClient { BaseAddress = host.BaseAddress };
            first = await (await client.PostEventAsync(body)).OutcomeAsync();
            output = await host.WaitForOutputAsync("Dedup store is 'sqlite'");
        } // disposing kills the process (SIGKILL): nothing is flushed or closed on the way out

        await using var restarted = await RunningHost.StartAsync(workingDirectory: directory.Path);
        using var again = new HttpClient { BaseAddress = restarted.BaseAddress };

        Assert.Equal("processed", first);
        Assert.Equal("duplicate", await (await again.PostEventAsync(body)).OutcomeAsync());
        Assert.Contains($"Dedup store is 'sqlite': {directory.File("genesys-dedup.db")}", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing-directory")]
    [InlineData("read-only-directory")]
    [InlineData("not-a-database")]
    [InlineData("newer-schema")]
    public async Task Start_SqliteFileThatCannotBeUsed_FailsNamingThePath(string condition)
    {
        using var directory = new TempDirectory();
        var path = condition switch
        {
            "missing-directory" => directory.File("missing/dedup.db"),
            "read-only-directory" => "/proc/genesys-dedup.db", // even root may not create a file there
            _ => directory.File("dedup.db"),
        };
        if (condition == "not-a-database")
        {
            await File.WriteAllTextAsync(path, string.Concat(Enumerable.Repeat("not a database\n", 500)));
        }
        else if (condition == "newer-schema")
        {
            Execute(path, "PRAGMA user_version = 99");
        }

        var (exitCode, output) = await HostProcess.RunExpectingExitAsync(new Dictionary<string, string> { [HostProcess.DatabaseVariable] = path });

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"Dedup:Sqlite:Path '{path}'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_FileLockedByAnotherProcessPastTheBusyTimeout_503StoreUnavailable_ThenRecover()
    {
        using var directory = new TempDirectory();
        var path = directory.File("dedup.db");
        await using var factory = new DedupHostFactory(StoreSettings.Sqlite(path));
        var client = factory.CreateClient();
        Assert.Equal("processed", await (await client.PostEventAsync(EventBuilder.UniqueGenesysEvent())).OutcomeAsync());
        var body = EventBuilder.UniqueGenesysEvent();

        using (var holder = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            holder.Open();
            Execute(holder, "BEGIN EXCLUSIVE");
            var during = await client.PostEventAsync(body);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
            Assert.NotNull(during.Headers.RetryAfter?.Delta);
            Assert.Equal("store_unavailable", await during.OutcomeAsync());
            Assert.Equal(1, factory.Handler.TotalRuns);
        }

        Assert.Equal("processed", await (await client.PostEventAsync(body)).OutcomeAsync());
        Assert.Equal("duplicate", await (await client.PostEventAsync(body)).OutcomeAsync());
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Execute(connection, sql);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
