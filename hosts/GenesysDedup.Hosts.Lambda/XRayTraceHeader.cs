using System.Buffers;
using System.Diagnostics;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// The X-Ray trace header Lambda hands over with each invocation (<c>Lambda-Runtime-Trace-Id</c>, also
/// <c>_X_AMZN_TRACE_ID</c>): <c>Root=1-{8 hex: epoch seconds}-{24 hex};Parent={16 hex};Sampled=0|1</c>, fields in any
/// order, others (<c>Lineage=…</c>) ignored. As a W3C context the trace id is the 8 and 24 hex digits joined, the span
/// id is <c>Parent</c>.
/// </summary>
internal static class XRayTraceHeader
{
    public const string EnvironmentVariable = "_X_AMZN_TRACE_ID";

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>The remote parent the header names, or null when it is missing or malformed (the span then starts a new trace).</summary>
    public static ActivityContext? Parse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        ReadOnlySpan<char> root = default, parent = default;
        var sampled = false;
        foreach (var range in header.AsSpan().Split(';'))
        {
            var field = header.AsSpan()[range].Trim();
            var equals = field.IndexOf('=');
            if (equals <= 0)
            {
                continue;
            }

            var name = field[..equals].Trim();
            var value = field[(equals + 1)..].Trim();
            if (name.SequenceEqual("Root"))
            {
                root = value;
            }
            else if (name.SequenceEqual("Parent"))
            {
                parent = value;
            }
            else if (name.SequenceEqual("Sampled"))
            {
                sampled = value.SequenceEqual("1");
            }
        }

        // Root: "1-" + 8 hex + "-" + 24 hex.
        if (root.Length != 35 || !root.StartsWith("1-") || root[10] != '-' || parent.Length != 16)
        {
            return null;
        }

        // Hex digits in either case; W3C ids are lower case.
        Span<char> traceId = stackalloc char[32];
        Span<char> spanId = stackalloc char[16];
        root.Slice(2, 8).ToLowerInvariant(traceId);
        root.Slice(11, 24).ToLowerInvariant(traceId[8..]);
        parent.ToLowerInvariant(spanId);
        if (!IsHex(traceId) || !IsHex(spanId) || traceId.IndexOfAnyExcept('0') < 0 || spanId.IndexOfAnyExcept('0') < 0)
        {
            return null;
        }

        return new ActivityContext(
            ActivityTraceId.CreateFromString(traceId),
            ActivitySpanId.CreateFromString(spanId),
            sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None,
            isRemote: true);
    }

    private static bool IsHex(ReadOnlySpan<char> text) => text.IndexOfAnyExcept(HexDigits) < 0;
}
