using GenesysDedup.Domain;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// Every log line of the Lambda host. Request ids, keys, outcomes and timings: never payloads or secrets. Values from an
/// event (keys, SQS message ids) are <see cref="LogText"/>, escaped when written.
/// </summary>
internal static partial class Log
{
    public const string Category = "GenesysDedup.Hosts.Lambda";

    [LoggerMessage(1, LogLevel.Information, "Initialised in {ElapsedMs:F1} ms: Dedup:Store={Store}, Handler:Kind={Handler}")]
    public static partial void Initialised(ILogger logger, double elapsedMs, string store, string handler);

    [LoggerMessage(2, LogLevel.Critical, "Initialisation failed ({ErrorType}): {Message}")]
    public static partial void InitFailed(ILogger logger, Exception? exception, string errorType, string message);

    [LoggerMessage(19, LogLevel.Error, "Could not post the init error to the Runtime API")]
    public static partial void InitErrorNotPosted(ILogger logger, Exception exception);

    [LoggerMessage(4, LogLevel.Information, "Invocation {RequestId}: {Outcome} {Key}, reported as error {ErrorType} so Lambda retries it")]
    public static partial void EventFailed(ILogger logger, string requestId, string outcome, LogText key, string errorType);

    [LoggerMessage(5, LogLevel.Information, "Invocation {RequestId}: SQS batch of {Records} records, {Failures} handed back in batchItemFailures")]
    public static partial void BatchAnswered(ILogger logger, string requestId, int records, int failures);

    [LoggerMessage(7, LogLevel.Warning, "SQS record {MessageId} has no string body (or one that is not valid Unicode): invalid")]
    public static partial void RecordWithoutBody(ILogger logger, LogText messageId);

    [LoggerMessage(8, LogLevel.Error, "SQS record {MessageId} failed unexpectedly; handed back to SQS")]
    public static partial void RecordCrashed(ILogger logger, Exception exception, LogText messageId);

    [LoggerMessage(9, LogLevel.Warning, "Invocation {RequestId}: the deadline is near; the SQS records not yet processed are handed back unprocessed")]
    public static partial void BatchOutOfTime(ILogger logger, string requestId);

    [LoggerMessage(10, LogLevel.Error, "Invocation {RequestId} failed unexpectedly; reported as error " + ErrorTypes.Unhandled)]
    public static partial void InvocationCrashed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(12, LogLevel.Error, "Could not post the result of invocation {RequestId} to the Runtime API")]
    public static partial void PostFailed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(13, LogLevel.Critical, "The Runtime API failed; exiting so Lambda starts a new runtime")]
    public static partial void RuntimeApiFailed(ILogger logger, Exception exception);

    [LoggerMessage(14, LogLevel.Information, "Stopping: finishing the invocation in flight, then exiting")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(15, LogLevel.Information, "Stopped after {Invocations} invocations; exit code {ExitCode}")]
    public static partial void Stopped(ILogger logger, long invocations, int exitCode);

    [LoggerMessage(16, LogLevel.Warning, "Stopping the hosted services failed")]
    public static partial void StopFailed(ILogger logger, Exception exception);

    [LoggerMessage(20, LogLevel.Error, "Invocation {RequestId}: the payload is over {MaxBytes} bytes; reported as error " + ErrorTypes.Invalid)]
    public static partial void InvocationTooLarge(ILogger logger, string requestId, int maxBytes);

    [LoggerMessage(21, LogLevel.Warning, "Invocation {RequestId}: the OTLP export did not finish before the deadline; the rest is sent later")]
    public static partial void TelemetryNotFlushed(ILogger logger, string requestId);
}
