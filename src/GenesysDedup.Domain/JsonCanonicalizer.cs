using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace GenesysDedup.Domain;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): properties sorted by UTF-16 code units, no insignificant
/// whitespace, numbers as ECMAScript prints doubles, strings with the minimal escapes. Reads the parsed
/// document's raw UTF-8 so the common cases (unescaped strings, small integers) are copied, not decoded.
/// </summary>
internal static class JsonCanonicalizer
{
    /// <summary>Writes the canonical form of <paramref name="element"/>; false with a reason when JCS cannot represent it.</summary>
    public static bool TryWrite(JsonElement element, IBufferWriter<byte> output, out string? error) =>
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

    /// <summary>The canonical form as a string (tests and diagnostics; the hot path uses <c>TryWrite</c>).</summary>
    public static string Canonicalize(JsonElement element)
    {
        using var buffer = new PooledBufferWriter();
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
            if (IsSmallInteger(raw) || IsCanonicalDecimal(raw))
            {
                Write(raw);
                return true;
            }

            if (!element.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                return Fail("number is outside the IEEE 754 double range, which JCS cannot represent");
            }

            Span<char> text = stackalloc char[32];
            var length = EcmaScriptNumber.Format(value, text);
            Span<byte> bytes = stackalloc byte[32];
            for (var i = 0; i < length; i++)
            {
                bytes[i] = (byte)text[i];
            }

            Write(bytes[..length]);
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

    /// <summary>
    /// Whether a JSON number token is a plain decimal that is already its own JCS form, so it can be copied: no exponent,
    /// a fraction whose last digit is not 0, at most 15 significant digits, and a magnitude ECMAScript prints without an
    /// exponent (at least 1e-6; with at most 15 digits it is far below 1e21). Any decimal of at most 15 significant
    /// digits survives the round trip through the nearest double (DBL_DIG), so that double's shortest round-trip digits
    /// are exactly these, and ECMAScript writes them in this very layout. Typical of Genesys bodies: confidences
    /// (<c>0.914</c>), coordinates, amounts. Everything else goes through <see cref="EcmaScriptNumber"/>.
    /// </summary>
    internal static bool IsCanonicalDecimal(ReadOnlySpan<byte> raw)
    {
        var digits = raw.Length > 0 && raw[0] == (byte)'-' ? raw[1..] : raw;
        var point = digits.IndexOf((byte)'.');
        if (point <= 0 || point == digits.Length - 1 || digits[^1] == (byte)'0')
        {
            return false;
        }

        var integer = digits[..point];
        var fraction = digits[(point + 1)..];
        if (integer.ContainsAnyExceptInRange((byte)'0', (byte)'9') || fraction.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            return false; // an exponent (or anything else): not this simple form
        }

        int significant;
        if (integer.Length == 1 && integer[0] == (byte)'0')
        {
            // 0.000ddd: six or more zeros after the point is below 1e-6, which ECMAScript writes with an exponent.
            var leadingZeros = fraction.IndexOfAnyExcept((byte)'0');
            if (leadingZeros >= 6)
            {
                return false;
            }

            significant = fraction.Length - leadingZeros;
        }
        else
        {
            if (integer[0] == (byte)'0')
            {
                return false;
            }

            significant = integer.Length + fraction.Length;
        }

        return significant <= 15;
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

/// <summary>ECMAScript's Number.prototype.toString for finite doubles (ECMA-262 §6.1.6.1.20), as JCS requires.</summary>
internal static class EcmaScriptNumber
{
    public static int Format(double value, Span<char> destination)
    {
        if (value == 0)
        {
            destination[0] = '0';
            return 1;
        }

        var pos = 0;
        if (value < 0)
        {
            destination[pos++] = '-';
            value = -value;
        }

        // "R" is the shortest text that round-trips, e.g. "1E+21", "1.5E-07", "333333333.3333333".
        Span<char> shortest = stackalloc char[32];
        value.TryFormat(shortest, out var written, "R", CultureInfo.InvariantCulture);
        shortest = shortest[..written];

        var exponent = 0;
        var e = shortest.IndexOfAny('E', 'e');
        if (e >= 0)
        {
            exponent = int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            shortest = shortest[..e];
        }

        // digits (k of them, no leading/trailing zeros) and n such that value = 0.digits × 10^n.
        Span<char> digits = stackalloc char[32];
        var k = 0;
        var point = shortest.IndexOf('.');
        var n = (point < 0 ? shortest.Length : point) + exponent;
        var leading = true;
        foreach (var c in shortest)
        {
            if (c == '.')
            {
                continue;
            }

            if (leading && c == '0')
            {
                n--;
                continue;
            }

            leading = false;
            digits[k++] = c;
        }

        while (k > 1 && digits[k - 1] == '0')
        {
            k--;
        }

        var d = digits[..k];
        if (k <= n && n <= 21)
        {
            d.CopyTo(destination[pos..]);
            pos += k;
            destination.Slice(pos, n - k).Fill('0');
            return pos + n - k;
        }

        if (0 < n && n <= 21)
        {
            d[..n].CopyTo(destination[pos..]);
            pos += n;
            destination[pos++] = '.';
            d[n..].CopyTo(destination[pos..]);
            return pos + k - n;
        }

        if (-6 < n && n <= 0)
        {
            destination[pos++] = '0';
            destination[pos++] = '.';
            destination.Slice(pos, -n).Fill('0');
            pos += -n;
            d.CopyTo(destination[pos..]);
            return pos + k;
        }

        destination[pos++] = d[0];
        if (k > 1)
        {
            destination[pos++] = '.';
            d[1..].CopyTo(destination[pos..]);
            pos += k - 1;
        }

        destination[pos++] = 'e';
        var e10 = n - 1;
        destination[pos++] = e10 < 0 ? '-' : '+';
        Math.Abs(e10).TryFormat(destination[pos..], out var exponentLength, default, CultureInfo.InvariantCulture);
        return pos + exponentLength;
    }
}
