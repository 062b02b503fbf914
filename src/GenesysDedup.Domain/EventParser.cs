using System.Text.Json;
using System.Text.Unicode;

namespace GenesysDedup.Domain;

/// <summary>Bounds on accepted input. Defaults follow docs/behaviour.md#inputs.</summary>
internal sealed record EventLimits(int MaxBytes = EventLimits.DefaultMaxBytes, int MaxDepth = EventLimits.DefaultMaxDepth)
{
    /// <summary>
    /// 1.5 MiB: EventBridge events, async Lambda payloads and SQS messages may be 1 MB, and the event EventBridge
    /// delivers is larger than the entry its sender put (it adds the envelope), so a 1 MB entry needs room above 1 MB.
    /// </summary>
    public const int DefaultMaxBytes = 1_572_864;
    public const int DefaultMaxDepth = 64;

    public static EventLimits Default { get; } = new();
}

/// <summary>The result of parsing: an event, or a clear reason the input is not one.</summary>
internal readonly record struct EventParseResult(DedupEvent? Event, string? Error)
{
    public bool IsValid => Event is not null;
}

/// <summary>
/// The one parser for every accepted input shape (EventBridge envelope, Genesys detail, the tutorial
/// shape, any JSON object). Works on the UTF-8 bytes without copying them and never throws for bad input.
/// </summary>
internal static class EventParser
{
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    public static EventParseResult Parse(ReadOnlyMemory<byte> utf8Json, EventLimits? limits = null)
    {
        limits ??= EventLimits.Default;
        if (utf8Json.Length > limits.MaxBytes)
        {
            return Fail($"event is {utf8Json.Length} bytes; the limit is {limits.MaxBytes} (Dedup:MaxEventBytes)");
        }

        var span = utf8Json.Span;
        if (span.StartsWith(Utf8Bom))
        {
            utf8Json = utf8Json[Utf8Bom.Length..];
            span = utf8Json.Span;
        }

        if (span.IsEmpty)
        {
            return Fail("event is empty");
        }

        // The JSON reader checks UTF-8 only inside strings it decodes; check the whole body up front so
        // nothing downstream (fingerprint, forwarding) ever sees invalid bytes.
        if (!Utf8.IsValid(span))
        {
            return Fail("event is not valid UTF-8");
        }

        // Likewise for \uXXXX escapes of a lone surrogate: System.Text.Json throws (not JsonException) when it
        // decodes one, e.g. while checking for duplicate property names or reading "id".
        var loneSurrogate = JsonEscapes.IndexOfLoneSurrogate(span);
        if (loneSurrogate >= 0)
        {
            return Fail($"event is not valid Unicode: lone UTF-16 surrogate escape at byte {loneSurrogate}");
        }

        var options = new JsonDocumentOptions { MaxDepth = limits.MaxDepth, AllowDuplicateProperties = false };
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, options);
        }
        catch (JsonException)
        {
            return Fail($"event is not valid JSON: {Describe(utf8Json, options)}");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = document.RootElement.ValueKind;
            document.Dispose();
            return Fail($"event must be a JSON object, not {kind.ToString().ToLowerInvariant()}");
        }

        return new EventParseResult(new DedupEvent(utf8Json, document), null);
    }

    private static EventParseResult Fail(string error) => new(null, error);

    // JsonException carries no error code, so the two checks the document adds to the reader's (depth, duplicate
    // names) are made again one at a time, on this failure path only. What is returned is the reader's own message for
    // a syntax error, which names a position and at most one offending character; never the duplicate-property
    // message, which quotes the whole name (payload).
    private static string Describe(ReadOnlyMemory<byte> utf8Json, JsonDocumentOptions options)
    {
        if (IsDeeperThan(utf8Json.Span, options.MaxDepth))
        {
            return $"nesting is deeper than allowed (maximum depth {options.MaxDepth})";
        }

        try
        {
            JsonDocument.Parse(utf8Json, options with { AllowDuplicateProperties = true }).Dispose();
            return "duplicate property name (an object has the same name twice)";
        }
        catch (JsonException syntax)
        {
            return syntax.Message;
        }
    }

    /// <summary>Whether an object or array opens deeper than <paramref name="maxDepth"/> levels before any syntax error.</summary>
    private static bool IsDeeperThan(ReadOnlySpan<byte> utf8Json, int maxDepth)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= maxDepth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // A syntax error before the limit: not a depth failure.
        }

        return false;
    }
}
