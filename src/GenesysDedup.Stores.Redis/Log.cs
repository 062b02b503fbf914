using GenesysDedup.Domain;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace GenesysDedup.Stores.Redis;

/// <summary>Every log line of the Redis store. Keys, operations and failure kinds only: never values or credentials.</summary>
internal static partial class Log
{
    // Debug: the engine already logs every store_unavailable outcome, and connection loss is logged once below.
    [LoggerMessage(1, LogLevel.Debug, "Redis store unavailable during {Operation} of {Key}")]
    public static partial void Unavailable(ILogger logger, Exception exception, string operation, LogText key);

    [LoggerMessage(2, LogLevel.Error, "Redis rejected {Operation} of {Key} with an error that a retry will not fix; check the server and Dedup:Redis:Configuration")]
    public static partial void Rejected(ILogger logger, Exception exception, string operation, LogText key);

    [LoggerMessage(3, LogLevel.Error, "Key {Key} holds a value that is not a dedup record; claims of it answer store_unavailable until it is removed")]
    public static partial void NotARecord(ILogger logger, LogText key);

    [LoggerMessage(4, LogLevel.Warning, "Claim of {Key} lost {Rounds} races in a row; answering store_unavailable so the sender retries")]
    public static partial void Contended(ILogger logger, LogText key, int rounds);

    [LoggerMessage(5, LogLevel.Warning, "Redis connection to {EndPoint} failed ({FailureType}); the store answers store_unavailable until it is restored")]
    public static partial void ConnectionFailed(ILogger logger, Exception? exception, string? endPoint, ConnectionFailureType failureType);

    // Debug, as Unavailable: the engine logs the store_unavailable outcome of the delivery.
    [LoggerMessage(7, LogLevel.Debug, "Redis {Operation} of {Key} reached {Acknowledged} of {Required} replicas in time (Dedup:Redis:WaitReplicas); answering store_unavailable")]
    public static partial void NotReplicated(ILogger logger, string operation, LogText key, long acknowledged, int required);

    [LoggerMessage(6, LogLevel.Information, "Redis connection to {EndPoint} restored")]
    public static partial void ConnectionRestored(ILogger logger, string? endPoint);
}
