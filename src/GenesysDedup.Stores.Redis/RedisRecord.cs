using System.Globalization;
using GenesysDedup.Domain;

namespace GenesysDedup.Stores.Redis;

/// <summary>
/// The value stored at a key: one Redis string, seven fields separated by <c>|</c>, fingerprint last so it may hold any
/// character:
/// <code>
/// Status|LeaseExpiresAt|ExpiresAt|Owner|TraceParent|ProcessedAt|Fingerprint
/// IN_PROGRESS|1795780860000|1795780860000|3f2a…|00-4bf9…-00f0…-01||sha256:9c1e…
/// COMPLETED|1795780860000|1795867205250|3f2a…||1795780805250|sha256:9c1e…
/// </code>
/// Times are epoch milliseconds of the engine's clock. <c>ExpiresAt</c> is the lease expiry while in progress and the
/// end of the retention once completed; <c>ProcessedAt</c> is empty while in progress and the completion time once
/// completed. <c>TraceParent</c> is empty or a W3C <c>traceparent</c> (55 characters). Older values lack fields and
/// read as records without them: five fields (no <c>TraceParent</c>, no <c>ProcessedAt</c>) or six (no
/// <c>ProcessedAt</c>). A field after <c>Owner</c> counts as the trace context only when it is empty or has the
/// <c>traceparent</c> shape, and the next as the completion time only when it is empty or digits; the engine's
/// fingerprints start with <c>sha256:</c>, so an older value's fingerprint is never taken for either. The Lua scripts in
/// <see cref="RedisScripts"/> read the same layout.
/// </summary>
internal static class RedisRecord
{
    public const char Separator = '|';

    private const int TraceParentLength = 55;

    /// <summary>The value a claim writes: in progress until the lease's end, with no completion time.</summary>
    public static string FormatClaim(DateTimeOffset leaseExpiresAt, string owner, string? traceParent, string fingerprint)
    {
        var lease = leaseExpiresAt.ToUnixTimeMilliseconds();
        return string.Create(CultureInfo.InvariantCulture, $"{RecordStatus.InProgress}|{lease}|{lease}|{owner}|{TraceField(traceParent)}||{fingerprint}");
    }

    /// <summary>The trace field as stored: the W3C <c>traceparent</c>, or empty when there is none or it is not one.</summary>
    public static string TraceField(string? traceParent) => IsTraceParent(traceParent) ? traceParent! : string.Empty;

    public static bool TryParse(string? value, out StoredRecord record)
    {
        record = default;
        if (value is null)
        {
            return false;
        }

        var rest = value.AsSpan();
        if (!TryTake(ref rest, out var status)
            || !TryTake(ref rest, out var lease)
            || !TryTake(ref rest, out var expires)
            || !TryTake(ref rest, out var owner))
        {
            return false;
        }

        var statusText = status.SequenceEqual(RecordStatus.InProgress) ? RecordStatus.InProgress
            : status.SequenceEqual(RecordStatus.Completed) ? RecordStatus.Completed
            : null;
        if (statusText is null || owner.IsEmpty || !TryParseTime(lease, out var leaseAt) || !TryParseTime(expires, out var expiresAt))
        {
            return false;
        }

        string? traceParent = null;
        if (rest.StartsWith(Separator))
        {
            rest = rest[1..];
        }
        else if (rest.Length > TraceParentLength && rest[TraceParentLength] == Separator && IsTraceParent(rest[..TraceParentLength]))
        {
            traceParent = rest[..TraceParentLength].ToString();
            rest = rest[(TraceParentLength + 1)..];
        }

        DateTimeOffset? processedAt = null;
        var processedEnd = rest.IndexOf(Separator);
        if (processedEnd == 0)
        {
            rest = rest[1..];
        }
        else if (processedEnd > 0 && TryParseTime(rest[..processedEnd], out var processed))
        {
            processedAt = processed;
            rest = rest[(processedEnd + 1)..];
        }

        record = new StoredRecord(statusText, owner.ToString(), rest.ToString(), leaseAt, expiresAt) { TraceParent = traceParent, ProcessedAt = processedAt };
        return true;
    }

    // The shape only (version 00, dashes in place): what a record keeps, not whether the ids are valid.
    private static bool IsTraceParent(ReadOnlySpan<char> text) =>
        text.Length == TraceParentLength && text.StartsWith("00-") && text[35] == '-' && text[52] == '-' && !text.Contains(Separator);

    private static bool TryTake(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> field)
    {
        var end = rest.IndexOf(Separator);
        if (end < 0)
        {
            field = default;
            return false;
        }

        field = rest[..end];
        rest = rest[(end + 1)..];
        return true;
    }

    private static bool TryParseTime(ReadOnlySpan<char> text, out DateTimeOffset time)
    {
        time = default;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return false;
        }

        time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }
}
