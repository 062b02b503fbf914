using Microsoft.Extensions.Logging;

namespace GenesysDedup.Stores.Memory;

/// <summary>Every log line of the memory store.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Dedup store is 'memory': in-process and not durable. A restart forgets every key and instances do not share keys; past Dedup:Memory:MaxEntries={MaxEntries} keys it evicts completed keys early, and a redelivery of an evicted key runs its handler again. Use Dedup:Store=redis or dynamodb in production.")]
    public static partial void NotDurable(ILogger logger, int maxEntries);

    [LoggerMessage(2, LogLevel.Debug, "Swept {Removed} expired dedup records; {Remaining} remain")]
    public static partial void Swept(ILogger logger, int removed, int remaining);

    [LoggerMessage(3, LogLevel.Warning, "Memory store at Dedup:Memory:MaxEntries: evicted {Evicted} completed records before their retention ended (counted in genesys_dedup_memory_evicted_total; this warning repeats at most once a minute); those keys would be processed again if redelivered")]
    public static partial void Evicted(ILogger logger, int evicted);
}
