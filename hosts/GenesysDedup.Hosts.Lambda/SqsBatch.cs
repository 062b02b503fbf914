using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// Recognises an SQS event source mapping's batch, <c>{"Records":[{"messageId","body","eventSource":"aws:sqs",…}]}</c>,
/// and reads each record's body back into UTF-8 bytes.
/// </summary>
internal static class SqsBatch
{
    /// <summary>
    /// True when the payload is a JSON object whose <c>Records</c> is a non-empty array of objects that all carry
    /// <c>"eventSource":"aws:sqs"</c>. Everything else (an EventBridge event, any other object, not JSON at all) is
    /// one event. A forward-only scan: nothing is allocated for the common case, an EventBridge event.
    /// </summary>
    public static bool IsBatch(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isRecords = reader.ValueTextEquals("Records"u8);
                reader.Read();
                if (isRecords && reader.TokenType == JsonTokenType.StartArray)
                {
                    return AllRecordsAreSqs(ref reader);
                }

                reader.Skip();
            }

            return false;
        }
        catch (JsonException)
        {
            return false; // not JSON: the engine answers invalid with its own reason
        }
    }

    // The reader is on the Records array's StartArray.
    private static bool AllRecordsAreSqs(ref Utf8JsonReader reader)
    {
        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var sqs = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isEventSource = reader.ValueTextEquals("eventSource"u8);
                reader.Read();
                sqs |= isEventSource && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("aws:sqs"u8);
                reader.Skip();
            }

            if (!sqs)
            {
                return false;
            }

            count++;
        }

        return count > 0 && reader.TokenType == JsonTokenType.EndArray;
    }

    /// <summary>The most bytes <see cref="ReadBody"/> writes: the length of the escaped body (unescaping never makes it longer).</summary>
    public static int MaxBodyLength(JsonElement record) =>
        record.TryGetProperty("body"u8, out var body) && body.ValueKind == JsonValueKind.String ? JsonMarshal.GetRawUtf8Value(body).Length : 0;

    /// <summary>
    /// Writes the record's <c>body</c> (a JSON string holding the event) unescaped into UTF-8 bytes and returns their
    /// count; null when the record has no string body, or one with an escape that is not valid Unicode (a lone surrogate).
    /// </summary>
    public static int? ReadBody(JsonElement record, Span<byte> destination)
    {
        if (!record.TryGetProperty("body"u8, out var body) || body.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var reader = new Utf8JsonReader(JsonMarshal.GetRawUtf8Value(body));
        reader.Read();
        try
        {
            return reader.CopyString(destination);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The record's <c>messageId</c>, or null when it has none or is not an object (batches SQS never sends).</summary>
    public static string? MessageId(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && record.TryGetProperty("messageId"u8, out var id)
        && id.ValueKind == JsonValueKind.String
        && id.GetString() is { Length: > 0 } value
            ? value
            : null;

    /// <summary>How many times SQS has delivered the record (<c>ApproximateReceiveCount</c>), when it says.</summary>
    public static int? ReceiveCount(JsonElement record) =>
        int.TryParse(Attribute(record, "ApproximateReceiveCount"u8)?.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>Whether the record came from a FIFO queue (it carries a message group id).</summary>
    public static bool IsFifo(JsonElement record) => Attribute(record, "MessageGroupId"u8) is not null;

    private static JsonElement? Attribute(JsonElement record, ReadOnlySpan<byte> name) =>
        record.TryGetProperty("attributes"u8, out var attributes) && attributes.ValueKind == JsonValueKind.Object
        && attributes.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value
            : null;
}
