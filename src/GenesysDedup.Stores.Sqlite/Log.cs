using GenesysDedup.Domain;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Stores.Sqlite;

/// <summary>Every log line of the SQLite store. Keys, operations and SQLite's messages only: never record values.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Dedup store is 'sqlite': {Path} (WAL, synchronous={Synchronous}, schema version {SchemaVersion}); completed keys survive restarts")]
    public static partial void Opened(ILogger logger, string path, string synchronous, int schemaVersion);

    // Debug: the engine already logs every store_unavailable outcome, with this message.
    [LoggerMessage(2, LogLevel.Debug, "SQLite store unavailable during {Operation} of {Key}: {Reason}")]
    public static partial void Unavailable(ILogger logger, Exception? exception, string operation, LogText key, string reason);

    [LoggerMessage(3, LogLevel.Debug, "Swept {Removed} expired dedup records from {Path}")]
    public static partial void Swept(ILogger logger, int removed, string path);

    [LoggerMessage(4, LogLevel.Warning, "Sweeping expired dedup records from {Path} failed; tried again at the next sweep: {Reason}")]
    public static partial void SweepFailed(ILogger logger, string path, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Checkpointing the WAL of {Path} failed; tried again after more writes: {Reason}")]
    public static partial void CheckpointFailed(ILogger logger, string path, string reason);
}
