using System.Diagnostics.Metrics;
using GenesysDedup.Application;

namespace GenesysDedup.Hosts.Http;

/// <summary>
/// Request bodies that never arrived whole: the client sent too slowly (Kestrel's minimum data rate) or went away.
/// Each one is answered 408 and counted in <c>genesys_dedup_http_incomplete_bodies_total{reason}</c> with one Debug
/// line: a client that stalls on purpose, over and over, must not fill the error log with stack traces.
/// </summary>
internal sealed partial class IncompleteBodies(IMeterFactory meterFactory, ILogger<IncompleteBodies> logger)
{
    private readonly Counter<long> _count = meterFactory.Create(DedupMetrics.MeterName)
        .CreateCounter<long>("genesys_dedup.http.incomplete_bodies", description: "Request bodies that did not arrive whole (too slow, or the client went away), answered 408.");

    public void Record(string reason)
    {
        _count.Add(1, new KeyValuePair<string, object?>("reason", reason));
        LogIncomplete(logger, reason);
    }

    [LoggerMessage(1, LogLevel.Debug, "Request body did not arrive whole ({Reason}); answered 408")]
    private static partial void LogIncomplete(ILogger logger, string reason);
}
