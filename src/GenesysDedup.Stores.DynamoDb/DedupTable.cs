using System.Globalization;
using Amazon.DynamoDBv2.Model;
using GenesysDedup.Domain;

namespace GenesysDedup.Stores.DynamoDb;

/// <summary>
/// The table layout of docs/stores.md#table-layout: attribute names, how times are stored, and how an item reads back as a
/// <see cref="StoredRecord"/>. Stored expiry times are rounded up (a record is never judged expired early); the
/// current time in conditions is rounded down (<c>ToUnixTimeSeconds</c>/<c>Milliseconds</c>), so <c>stored &lt;= now</c>
/// in a condition means exactly what <see cref="StoredRecord.IsLive(DateTimeOffset)"/> means by <c>now &gt;= expiry</c>.
/// </summary>
internal static class DedupTable
{
    public const string DefaultTableName = "EventDeduplication";

    public const string EventId = "EventId"; // partition key (S): the scoped dedup key
    public const string Status = "Status"; // IN_PROGRESS or COMPLETED (S)
    public const string Owner = "Owner"; // the claimer's random token (S); fences complete and release
    public const string LeaseExpiresAt = "LeaseExpiresAt"; // epoch milliseconds (N)
    public const string Ttl = "TTL"; // record expiry, epoch seconds (N): the lease's on a claim, the retention's once completed
    public const string Fingerprint = "Fingerprint"; // (S) the same key with another fingerprint is a conflict
    public const string ProcessedAt = "ProcessedAt"; // epoch seconds (N), written on completion
    public const string TraceParent = "TraceParent"; // (S) W3C traceparent of the delivery that wrote it; absent when none

    private const long TicksPerSecond = TimeSpan.TicksPerSecond;
    private const long TicksPerMillisecond = TimeSpan.TicksPerMillisecond;
    private const long MinEpochSeconds = -62_135_596_800; // 0001-01-01
    private const long MaxEpochSeconds = 253_402_300_799; // 9999-12-31T23:59:59

    /// <summary>Epoch milliseconds, rounded up: for stored expiry times.</summary>
    public static long EpochMillisecondsCeiling(DateTimeOffset time) => Ceiling(time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks, TicksPerMillisecond);

    /// <summary>Epoch seconds, rounded up: for stored expiry times.</summary>
    public static long EpochSecondsCeiling(DateTimeOffset time) => Ceiling(time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks, TicksPerSecond);

    public static AttributeValue String(string value) => new() { S = value };

    public static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static Dictionary<string, AttributeValue> Key(string key) => new(StringComparer.Ordinal) { [EventId] = String(key) };

    /// <summary>Reads an item back; null when it is not in this layout (then nobody can judge it).</summary>
    public static StoredRecord? ToRecord(Dictionary<string, AttributeValue>? item)
    {
        if (item is null
            || !TryGetString(item, Status, out var status)
            || !TryGetString(item, Owner, out var owner)
            || !TryGetNumber(item, LeaseExpiresAt, out var leaseMs)
            || !TryGetNumber(item, Ttl, out var ttlSeconds))
        {
            return null;
        }

        if (leaseMs is < MinEpochSeconds * 1000 or > MaxEpochSeconds * 1000 || ttlSeconds is < MinEpochSeconds or > MaxEpochSeconds)
        {
            return null;
        }

        string? fingerprint = TryGetString(item, Fingerprint, out var stored) ? stored : null;
        return new StoredRecord(status, owner, fingerprint, DateTimeOffset.FromUnixTimeMilliseconds(leaseMs), DateTimeOffset.FromUnixTimeSeconds(ttlSeconds))
        {
            TraceParent = TryGetString(item, TraceParent, out var traceParent) ? traceParent : null,
            ProcessedAt = ProcessedAtOf(item),
        };
    }

    /// <summary>When the item's event was completed; null when the item does not say.</summary>
    private static DateTimeOffset? ProcessedAtOf(Dictionary<string, AttributeValue> item) =>
        TryGetNumber(item, ProcessedAt, out var seconds) && seconds is >= MinEpochSeconds and <= MaxEpochSeconds
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    private static bool TryGetString(Dictionary<string, AttributeValue> item, string name, out string value)
    {
        value = item.TryGetValue(name, out var attribute) ? attribute.S ?? string.Empty : string.Empty;
        return attribute?.S is not null;
    }

    private static bool TryGetNumber(Dictionary<string, AttributeValue> item, string name, out long value)
    {
        value = 0;
        return item.TryGetValue(name, out var attribute)
            && attribute.N is { } n
            && long.TryParse(n, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }

    private static long Ceiling(long ticks, long unit)
    {
        var quotient = Math.DivRem(ticks, unit, out var remainder);
        return remainder > 0 ? quotient + 1 : quotient;
    }
}
