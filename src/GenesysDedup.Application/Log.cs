using GenesysDedup.Domain;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Application;

/// <summary>
/// Every log line of the engine. Keys, outcomes and timings only: never payloads or secrets. Values from a request are
/// <see cref="LogText"/>, escaped when written.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Event {Key} {Outcome} in {ElapsedMs:F2} ms")]
    public static partial void Outcome(ILogger logger, LogText key, string outcome, double elapsedMs);

    [LoggerMessage(2, LogLevel.Warning, "Event {Key} {Outcome} in {ElapsedMs:F2} ms: {Detail}")]
    public static partial void NotAcknowledged(ILogger logger, Exception? exception, LogText key, string outcome, double elapsedMs, LogText detail);

    [LoggerMessage(5, LogLevel.Warning, "Lease on {Key} was taken over before completion (handler ran; the new owner's record is kept)")]
    public static partial void LeaseLost(ILogger logger, LogText key);

    [LoggerMessage(7, LogLevel.Information, "Processed {Key} topic={TopicName} detail-type={DetailType} id={EventId}")]
    public static partial void Processed(ILogger logger, LogText key, LogText topicName, LogText detailType, LogText eventId);
}
