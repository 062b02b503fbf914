using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

/// <summary>
/// The JSON canonicalizer as it was before the sorted-members writer (commit fa9a974), kept unchanged as the oracle of
/// <see cref="JsonCanonicalizerDifferentialTests"/>: every fingerprint must stay what it was.
/// </summary>
internal static class ReferenceCanonicalizer
{
    /// <summary>Writes the canonical form of <paramref name="element"/>; false with a reason when JCS cannot represent it.</summary>
    internal static bool TryWrite(JsonElement element, IBufferWriter<byte> output, out string? error) =>
        TryWrite(element, output, out error, []);

    /// <summary>As <see cref="TryWrite(JsonElement, IBufferWriter{byte}, out string?)"/>, leaving out the named top-level properties.</summary>
    internal static bool TryWrite(JsonElement element, IBufferWriter<byte> output, out string? error, string[] omitTopLevel)
    {
        var writer = new Writer(output);
        var ok = element.ValueKind == JsonValueKind.Object
            ? writer.WriteObject(element, omitTopLevel)
            : writer.WriteValue(element);
        error = writer.Error;
        return ok;
    }

    /// <summary>The canonical form as a string (tests and diagnostics; the hot path uses <see cref="TryWrite"/>).</summary>
    internal static string Canonicalize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        if (!TryWrite(element, buffer, out var error))
        {
            throw new ArgumentException(error, nameof(element));
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private const string LoneSurrogateError = "string contains a lone surrogate, which JCS cannot represent";

    private struct Writer(IBufferWriter<byte> output)
    {
        public string? Error { get; private set; }

        public bool WriteValue(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    return WriteObject(element, []);
                case JsonValueKind.Array:
                    return WriteArray(element);
                case JsonValueKind.String:
                    return WriteString(element);
                case JsonValueKind.Number:
                    return WriteNumber(element);
                case JsonValueKind.True:
                    Write("true"u8);
                    return true;
                case JsonValueKind.False:
                    Write("false"u8);
                    return true;
                case JsonValueKind.Null:
                    Write("null"u8);
                    return true;
                default:
                    return Fail($"unexpected JSON value kind {element.ValueKind}");
            }
        }

        public bool WriteObject(JsonElement element, string[] omit)
        {
            var count = element.GetPropertyCount();
            var properties = ArrayPool<JsonProperty>.Shared.Rent(Math.Max(count, 1));
            try
            {
                var kept = 0;
                foreach (var property in element.EnumerateObject())
                {
                    // Checked before sorting: the comparer decodes escaped names, which throws for a lone surrogate.
                    if (JsonEscapes.IndexOfLoneSurrogate(JsonMarshal.GetRawUtf8PropertyName(property)) >= 0)
                    {
                        return Fail(LoneSurrogateError);
                    }

                    if (!IsOmitted(property, omit))
                    {
                        properties[kept++] = property;
                    }
                }

                var span = properties.AsSpan(0, kept);
                int i;
                span.Sort(PropertyNameOrder.Compare);

                Write((byte)'{');
                for (i = 0; i < span.Length; i++)
                {
                    if (i > 0)
                    {
                        Write((byte)',');
                    }

                    var name = JsonMarshal.GetRawUtf8PropertyName(span[i]);
                    if (!WriteStringToken(name, HasEscape(name) ? span[i].Name : null))
                    {
                        return false;
                    }

                    Write((byte)':');
                    if (!WriteValue(span[i].Value))
                    {
                        return false;
                    }
                }

                Write((byte)'}');
                return true;
            }
            finally
            {
                properties.AsSpan(0, count).Clear();
                ArrayPool<JsonProperty>.Shared.Return(properties);
            }
        }

        private static bool IsOmitted(JsonProperty property, string[] omit)
        {
            foreach (var name in omit)
            {
                if (property.NameEquals(name))
                {
                    return true;
                }
            }

            return false;
        }

        private bool WriteArray(JsonElement element)
        {
            Write((byte)'[');
            var first = true;
            foreach (var item in element.EnumerateArray())
            {
                if (!first)
                {
                    Write((byte)',');
                }

                first = false;
                if (!WriteValue(item))
                {
                    return false;
                }
            }

            Write((byte)']');
            return true;
        }

        private bool WriteString(JsonElement element)
        {
            var content = JsonMarshal.GetRawUtf8Value(element)[1..^1];
            if (HasEscape(content) && JsonEscapes.IndexOfLoneSurrogate(content) >= 0)
            {
                // GetString would throw for it.
                return Fail(LoneSurrogateError);
            }

            return WriteStringToken(content, HasEscape(content) ? element.GetString() : null);
        }

        private static bool HasEscape(ReadOnlySpan<byte> rawContent) => rawContent.IndexOf((byte)'\\') >= 0;

        // rawContent is the token between its quotes. Without a backslash it is already the string's UTF-8
        // (the parser validated UTF-8, and JSON forbids raw control characters), which is exactly JCS's output;
        // with one, the caller passes the decoded value to re-escape the JCS way.
        private bool WriteStringToken(ReadOnlySpan<byte> rawContent, string? decodedIfEscaped)
        {
            Write((byte)'"');
            if (decodedIfEscaped is null)
            {
                Write(rawContent);
            }
            else if (!WriteEscaped(decodedIfEscaped))
            {
                return false;
            }

            Write((byte)'"');
            return true;
        }

        private bool WriteEscaped(string value)
        {
            Span<byte> utf8 = stackalloc byte[4];
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                switch (c)
                {
                    case '"': Write("\\\""u8); continue;
                    case '\\': Write("\\\\"u8); continue;
                    case '\b': Write("\\b"u8); continue;
                    case '\f': Write("\\f"u8); continue;
                    case '\n': Write("\\n"u8); continue;
                    case '\r': Write("\\r"u8); continue;
                    case '\t': Write("\\t"u8); continue;
                }

                if (c < 0x20)
                {
                    Write("\\u00"u8);
                    Write((byte)"0123456789abcdef"[c >> 4]);
                    Write((byte)"0123456789abcdef"[c & 0xF]);
                    continue;
                }

                if (!Rune.TryGetRuneAt(value, i, out var rune))
                {
                    return Fail(LoneSurrogateError);
                }

                var length = rune.EncodeToUtf8(utf8);
                Write(utf8[..length]);
                i += rune.Utf16SequenceLength - 1;
            }

            return true;
        }

        private bool WriteNumber(JsonElement element)
        {
            var raw = JsonMarshal.GetRawUtf8Value(element);
            if (IsSmallInteger(raw) || JsonCanonicalizer.IsCanonicalDecimal(raw))
            {
                Write(raw);
                return true;
            }

            if (!element.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                return Fail("number is outside the IEEE 754 double range, which JCS cannot represent");
            }

            Write(Encoding.ASCII.GetBytes(EcmaScriptNumber.Format(value)));
            return true;
        }

        // Integers of at most 15 digits are exact doubles that ECMAScript prints digit for digit; "-0" prints as "0".
        private static bool IsSmallInteger(ReadOnlySpan<byte> raw)
        {
            var digits = raw.Length > 0 && raw[0] == (byte)'-' ? raw[1..] : raw;
            if (digits.IsEmpty || digits.Length > 15 || (digits.Length == 1 && digits[0] == (byte)'0' && digits.Length != raw.Length))
            {
                return false;
            }

            foreach (var b in digits)
            {
                if (b is < (byte)'0' or > (byte)'9')
                {
                    return false;
                }
            }

            return true;
        }

        private void Write(ReadOnlySpan<byte> bytes)
        {
            var span = output.GetSpan(bytes.Length);
            bytes.CopyTo(span);
            output.Advance(bytes.Length);
        }

        private void Write(byte value)
        {
            output.GetSpan(1)[0] = value;
            output.Advance(1);
        }

        private bool Fail(string error)
        {
            Error = error;
            return false;
        }
    }

    /// <summary>JCS orders property names by their UTF-16 code units; this compares the raw UTF-8 in that order.</summary>
    private static class PropertyNameOrder
    {
        public static int Compare(JsonProperty x, JsonProperty y)
        {
            var a = JsonMarshal.GetRawUtf8PropertyName(x);
            var b = JsonMarshal.GetRawUtf8PropertyName(y);
            if (a.IndexOf((byte)'\\') >= 0 || b.IndexOf((byte)'\\') >= 0)
            {
                // Escaped names are rare; compare their decoded UTF-16 directly.
                return string.CompareOrdinal(x.Name, y.Name);
            }

            return CompareUtf8AsUtf16(a, b);
        }

        // UTF-8 byte order equals code point order, which differs from UTF-16 code unit order only between a
        // supplementary character (a surrogate pair, 0xD800..) and U+E000..U+FFFF. Decide at the first difference.
        internal static int CompareUtf8AsUtf16(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        {
            var common = a.CommonPrefixLength(b);
            if (common == a.Length || common == b.Length)
            {
                return a.Length.CompareTo(b.Length);
            }

            var start = common;
            while (start > 0 && (a[start] & 0xC0) == 0x80)
            {
                start--;
            }

            Rune.DecodeFromUtf8(a[start..], out var ra, out _);
            Rune.DecodeFromUtf8(b[start..], out var rb, out _);
            return FirstUtf16Unit(ra).CompareTo(FirstUtf16Unit(rb)) is var order and not 0
                ? order
                : ra.Value.CompareTo(rb.Value);
        }

        private static int FirstUtf16Unit(Rune rune) =>
            rune.IsBmp ? rune.Value : 0xD800 + ((rune.Value - 0x10000) >> 10);
    }
}

