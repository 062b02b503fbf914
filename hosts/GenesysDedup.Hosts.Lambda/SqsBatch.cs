using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// Recognises an SQS event source mapping's batch, <c>{"Records":[{"messageId","body","eventSource":"aws:sqs",…}]}</c>,
/// and reads each record's body back into UTF-8 bytes.
/// </summary>
internal static class SqsBatch
{
    public const string EventSource = "aws:sqs";

    private static ReadOnlySpan<byte> RecordsName => "Records"u8;

    private static ReadOnlySpan<byte> EventSourceName => "eventSource"u8;

    private static ReadOnlySpan<byte> EventSourceValue => "aws:sqs"u8;

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
                var isRecords = reader.ValueTextEquals(RecordsName);
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
            return false; // not JSON: the pipeline answers invalid with its own reason
        }
    }

    // The reader is on the Records array's StartArray.
    private static bool AllRecordsAreSqs(ref Utf8JsonReader reader)
    {
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject || !HasSqsEventSource(ref reader))
            {
                return false;
            }

            count++;
        }

        return count > 0;
    }

    // The reader is on a record's StartObject; leaves it on the record's EndObject.
    private static bool HasSqsEventSource(ref Utf8JsonReader reader)
    {
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isEventSource = reader.ValueTextEquals(EventSourceName);
            reader.Read();
            if (isEventSource && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(EventSourceValue))
            {
                found = true;
            }

            reader.Skip();
        }

        return found;
    }

    /// <summary>
    /// The record's <c>body</c> (a JSON string holding the event) unescaped into UTF-8 bytes, in a buffer rented from
    /// the shared pool; null when the record has no string body. Dispose the result to return the buffer.
    /// </summary>
    public static RecordBody? ReadBody(JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object
            || !record.TryGetProperty("body"u8, out var body)
            || body.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        // The raw token is the escaped string with its quotes; unescaping never makes it longer.
        var raw = JsonMarshal.GetRawUtf8Value(body);
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(raw.Length, 1));
        try
        {
            var length = reader.CopyString(buffer);
            return new RecordBody(buffer, length);
        }
        catch (InvalidOperationException)
        {
            // An escape that is not valid Unicode (a lone surrogate): the body cannot be an event.
            ArrayPool<byte>.Shared.Return(buffer);
            return null;
        }
    }

    /// <summary>The record's <c>messageId</c>, or null when it has none (a batch SQS never sends).</summary>
    public static string? MessageId(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && record.TryGetProperty("messageId"u8, out var id)
        && id.ValueKind == JsonValueKind.String
        && id.GetString() is { Length: > 0 } value
            ? value
            : null;

    /// <summary>Whether the record came from a FIFO queue (it carries a message group id).</summary>
    public static bool IsFifo(JsonElement record) =>
        record.TryGetProperty("attributes"u8, out var attributes)
        && attributes.ValueKind == JsonValueKind.Object
        && attributes.TryGetProperty("MessageGroupId"u8, out var group)
        && group.ValueKind == JsonValueKind.String;
}

/// <summary>A record's body in a pooled buffer.</summary>
internal sealed class RecordBody(byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(RecordBody))).AsMemory(0, length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
