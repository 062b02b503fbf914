using System.Text;
using System.Text.Json;
using System.Runtime.InteropServices;

namespace GenesysDedup.Cli;

/// <summary>Where an input came from: a file (<c>-</c> for stdin) and the 1-based line its JSON starts on (0: the whole file).</summary>
internal readonly record struct InputLocation(string File, int Line)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}" : File;
}

/// <summary>One thing read from the inputs: an event's UTF-8 JSON as written, or why nothing could be read there.</summary>
internal sealed record InputItem(InputLocation Location, ReadOnlyMemory<byte> Event, string? Error = null)
{
    public static InputItem Bad(InputLocation location, string error) => new(location, ReadOnlyMemory<byte>.Empty, error);
}

/// <summary>
/// Reads events from files in every shape an operator has them: JSON lines, a JSON array, an SQS
/// <c>receive-message</c> dump (<c>Messages[].Body</c>), an SQS batch (<c>Records[].body</c>), a Lambda on-failure
/// invocation record (<c>requestPayload</c>, also as the <c>detail</c> of an EventBridge destination's event), and any
/// mix of these one after another. Anything else that is an object is an event. A value that is none of these, JSON
/// that does not parse, or a file that cannot be read becomes an item with an error and its location; reading goes on.
/// </summary>
internal static class EventInputs
{
    /// <summary>Deeper than an event may be (64) by the few levels the wrapping shapes add: the engine judges the event.</summary>
    private const int MaxDepth = 128;

    /// <summary>A body inside a body (an on-failure record kept in an SQS message) nests once; more is not a known shape.</summary>
    private const int MaxNestedBodies = 3;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };

    /// <summary>How messages name a value read from a file or a body; a value inside it is named by its path.</summary>
    private const string TopLevel = "the value";

    private static string PathOf(string what, string member) => what == TopLevel ? member.TrimStart('.') : what + member;

    /// <summary>Reads every path in order; <c>-</c> reads <paramref name="stdin"/>.</summary>
    public static List<InputItem> Read(IEnumerable<string> paths, Func<Stream> stdin)
    {
        var items = new List<InputItem>();
        foreach (var path in paths)
        {
            if (ReadAll(path, stdin, out var error) is { } bytes)
            {
                items.AddRange(ReadValues(path, bytes));
            }
            else
            {
                items.Add(InputItem.Bad(new InputLocation(path, 0), $"cannot read the file: {error}"));
            }
        }

        return items;
    }

    private static byte[]? ReadAll(string path, Func<Stream> stdin, out string? error)
    {
        error = null;
        try
        {
            if (path != "-")
            {
                return File.ReadAllBytes(path);
            }

            using var buffer = new MemoryStream();
            stdin().CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>The top-level JSON values of one file, one after another, each unwrapped into its events.</summary>
    private static IEnumerable<InputItem> ReadValues(string file, ReadOnlyMemory<byte> bytes)
    {
        var lines = new LineIndex(bytes.Span);
        var offset = bytes.Span.StartsWith("\uFEFF"u8) ? 3 : 0;
        while ((offset = SkipWhitespace(bytes.Span, offset)) < bytes.Length)
        {
            var at = new InputLocation(file, lines.LineOf(offset));
            if (!TryMeasureValue(bytes.Span[offset..], out var length, out var error, out var linesDown))
            {
                yield return InputItem.Bad(at, $"malformed JSON: {error}{(linesDown > 0 ? $" (at line {at.Line + linesDown})" : "")}");
                // Pick up again at the next line that starts a value in its first column: the next JSON line, or the
                // next document after a broken pretty-printed one (whose inner lines are indented).
                offset = lines.NextValueLineAfter(at.Line, bytes.Span);
                continue;
            }

            foreach (var item in Unwrap(bytes.Slice(offset, length), o => new InputLocation(file, lines.LineOf(offset + o))))
            {
                yield return item;
            }

            offset += length;
        }
    }

    private static bool TryMeasureValue(ReadOnlySpan<byte> span, out int length, out string? error, out long linesDown)
    {
        linesDown = 0;
        var reader = new Utf8JsonReader(span, new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = MaxDepth });
        try
        {
            reader.Read();
            reader.Skip();
            length = (int)reader.BytesConsumed;
            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            length = 0;
            error = WithoutPosition(ex.Message);
            linesDown = ex.LineNumber ?? 0;
            return false;
        }
    }

    /// <summary>The events in one JSON value; <paramref name="locate"/> turns an offset in <paramref name="json"/> into a location.</summary>
    private static IEnumerable<InputItem> Unwrap(ReadOnlyMemory<byte> json, Func<int, InputLocation> locate, int nestedBodies = 0)
    {
        using var document = JsonDocument.Parse(json, DocumentOptions);
        foreach (var item in Unwrap(document.RootElement, json, locate, nestedBodies, TopLevel))
        {
            yield return item;
        }
    }

    private static IEnumerable<InputItem> Unwrap(JsonElement element, ReadOnlyMemory<byte> buffer, Func<int, InputLocation> locate, int nestedBodies, string what)
    {
        var raw = RawOf(element, buffer, out var offset);
        var at = locate(offset);
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                var index = 0;
                foreach (var child in element.EnumerateArray())
                {
                    foreach (var item in Unwrap(child, buffer, locate, nestedBodies, PathOf(what, $"[{index++}]")))
                    {
                        yield return item;
                    }
                }

                yield break;
            case JsonValueKind.Object:
                break;
            default:
                yield return InputItem.Bad(at, $"unknown shape: {what} is a JSON {element.ValueKind.ToString().ToLowerInvariant()}, not an event " +
                    "(an object), an array of them, an SQS receive-message dump or a Lambda on-failure record");
                yield break;
        }

        IEnumerable<InputItem> items;
        if (Array(element, "Messages") is { } messages)
        {
            items = Bodies(messages, "Body", buffer, locate, nestedBodies, PathOf(what, ".Messages"));
        }
        else if (Array(element, "Records") is { } records && IsSqsBatch(records))
        {
            items = Bodies(records, "body", buffer, locate, nestedBodies, PathOf(what, ".Records"));
        }
        else if (OnFailurePayload(element) is { } payload)
        {
            items = Unwrap(payload, buffer, locate, nestedBodies, PathOf(what, ".requestPayload"));
        }
        else
        {
            items = [new InputItem(at, raw)];
        }

        foreach (var item in items)
        {
            yield return item;
        }
    }

    /// <summary>Each message's body: a string holding JSON (an event, or an on-failure record when the queue is a destination).</summary>
    private static IEnumerable<InputItem> Bodies(JsonElement messages, string bodyName, ReadOnlyMemory<byte> buffer, Func<int, InputLocation> locate, int nestedBodies, string what)
    {
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            RawOf(message, buffer, out var offset);
            var at = locate(offset);
            var name = $"{what}[{index++}].{bodyName}";
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty(bodyName, out var body) || body.ValueKind != JsonValueKind.String)
            {
                yield return InputItem.Bad(at, $"unknown shape: {name} is missing or not a string");
                continue;
            }

            if (nestedBodies >= MaxNestedBodies)
            {
                yield return InputItem.Bad(at, $"unknown shape: {name} nests bodies more than {MaxNestedBodies} deep");
                continue;
            }

            var bodyBytes = Encoding.UTF8.GetBytes(body.GetString()!);
            if (!TryMeasureValue(bodyBytes, out var length, out var error, out _) || SkipWhitespace(bodyBytes, length) != bodyBytes.Length)
            {
                yield return InputItem.Bad(at, $"malformed JSON in {name}: {error ?? "more than one value"}");
                continue;
            }

            foreach (var item in Unwrap(bodyBytes, _ => at, nestedBodies + 1))
            {
                yield return item;
            }
        }
    }

    private static JsonElement? Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value : null;

    private static bool IsSqsBatch(JsonElement records) =>
        records.EnumerateArray().Any(r => r.ValueKind == JsonValueKind.Object
            && r.TryGetProperty("eventSource", out var source) && source.ValueEquals("aws:sqs"));

    /// <summary>
    /// The event of a Lambda invocation record (<c>requestContext</c> + <c>requestPayload</c>), as an SQS, SNS or
    /// Lambda destination gets it, or as the <c>detail</c> of the event an EventBridge destination gets.
    /// </summary>
    private static JsonElement? OnFailurePayload(JsonElement element)
    {
        if (element.TryGetProperty("requestContext", out _) && element.TryGetProperty("requestPayload", out var payload))
        {
            return payload;
        }

        return element.TryGetProperty("source", out var source) && source.ValueEquals("lambda")
            && element.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Object
            ? OnFailurePayload(detail)
            : null;
    }

    /// <summary>The element's bytes as written, and where they start in <paramref name="buffer"/> (no copy).</summary>
    private static ReadOnlyMemory<byte> RawOf(JsonElement element, ReadOnlyMemory<byte> buffer, out int offset)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        // JsonDocument.Parse(ReadOnlyMemory<byte>) parses in place, so the raw value lies inside the buffer.
        return buffer.Span.Overlaps(raw, out offset) ? buffer.Slice(offset, raw.Length) : raw.ToArray();
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> span, int offset)
    {
        while (offset < span.Length && span[offset] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            offset++;
        }

        return offset;
    }

    // "'x' is an invalid start of a value. LineNumber: 0 | BytePositionInLine: 0." → the first part.
    private static string WithoutPosition(string message) =>
        message.IndexOf(" LineNumber:", StringComparison.Ordinal) is var cut and > 0 ? message[..cut] : message;

    /// <summary>Line starts of one file, for turning byte offsets into 1-based line numbers.</summary>
    private sealed class LineIndex
    {
        private readonly List<int> _starts = [0];

        public LineIndex(ReadOnlySpan<byte> bytes)
        {
            for (var i = bytes.IndexOf((byte)'\n'); i >= 0; i = bytes[(i + 1)..].IndexOf((byte)'\n') is var next and >= 0 ? i + 1 + next : -1)
            {
                _starts.Add(i + 1);
            }
        }

        public int LineOf(int offset)
        {
            var index = _starts.BinarySearch(offset);
            return (index >= 0 ? index : ~index - 1) + 1;
        }

        /// <summary>The offset of the first line after <paramref name="line"/> whose first byte opens an object or array; the end when none.</summary>
        public int NextValueLineAfter(int line, ReadOnlySpan<byte> bytes)
        {
            for (var i = line; i < _starts.Count; i++)
            {
                var start = _starts[i];
                if (start < bytes.Length && bytes[start] is (byte)'{' or (byte)'[')
                {
                    return start;
                }
            }

            return bytes.Length;
        }
    }
}
