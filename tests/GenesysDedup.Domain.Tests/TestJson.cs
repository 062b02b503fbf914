using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

/// <summary>Small helpers shared by the domain tests: parse, canonicalize, and re-publish events the way Genesys does.</summary>
internal static class TestJson
{
    /// <summary>Parses an event that must be valid; fails the test with the parser's message otherwise.</summary>
    public static DedupEvent Event(string json) => Event(Encoding.UTF8.GetBytes(json));

    public static DedupEvent Event(byte[] utf8)
    {
        var result = EventParser.Parse(utf8);
        Assert.True(result.IsValid, result.Error);
        return result.Event!;
    }

    /// <summary>The JCS form of <paramref name="json"/> parsed by System.Text.Json.</summary>
    public static string Canonical(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Canonicalize(document.RootElement);
    }

    /// <summary>The JCS form of <paramref name="element"/>, which must have one.</summary>
    public static string Canonicalize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Assert.True(JsonCanonicalizer.TryWrite(element, buffer, out var error), error);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Fingerprint(string json)
    {
        using var dedupEvent = Event(json);
        return Fingerprint(dedupEvent);
    }

    public static string Fingerprint(byte[] utf8)
    {
        using var dedupEvent = Event(utf8);
        return Fingerprint(dedupEvent);
    }

    public static string Fingerprint(DedupEvent dedupEvent)
    {
        Assert.True(EventFingerprint.TryCompute(dedupEvent, out var fingerprint, out var error), error);
        return fingerprint;
    }

    /// <summary>
    /// What a Genesys re-publish looks like on the wire: a new EventBridge <c>id</c> and <c>time</c>, a re-stamped
    /// <c>detail.timestamp</c> (when there is one), and the same content written again with every object's keys in
    /// reverse order. <paramref name="style"/> picks the layout.
    /// </summary>
    public static byte[] Republish(byte[] original, string newId, string newTime, RepublishStyle style)
    {
        using var document = JsonDocument.Parse(original);
        var buffer = new ArrayBufferWriter<byte>();
        var options = style switch
        {
            // The default encoder escapes non-ASCII and '+', '<', '&', ''': a different spelling of the same strings.
            RepublishStyle.CompactEscaped => new JsonWriterOptions(),
            RepublishStyle.IndentedWithTabs => new JsonWriterOptions
            {
                Indented = true,
                IndentCharacter = '\t',
                IndentSize = 1,
                Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            },
            _ => new JsonWriterOptions { Indented = true, IndentSize = 4, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping },
        };
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject().Reverse())
            {
                writer.WritePropertyName(property.Name);
                switch (property.Name)
                {
                    case "id":
                        writer.WriteStringValue(newId);
                        break;
                    case "time":
                        writer.WriteStringValue(newTime);
                        break;
                    case "detail" when property.Value.ValueKind == JsonValueKind.Object:
                        WriteReversed(property.Value, writer, restampTimestamp: newTime);
                        break;
                    default:
                        WriteReversed(property.Value, writer);
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteReversed(JsonElement element, Utf8JsonWriter writer, string? restampTimestamp = null)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().Reverse())
                {
                    writer.WritePropertyName(property.Name);
                    if (restampTimestamp is not null && property.Name == "timestamp")
                    {
                        writer.WriteStringValue(restampTimestamp);
                        continue;
                    }

                    WriteReversed(property.Value, writer);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteReversed(item, writer);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}

public enum RepublishStyle
{
    CompactEscaped,
    IndentedWithTabs,
    IndentedWithSpaces,
}
