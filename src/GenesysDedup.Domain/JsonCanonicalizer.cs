using System.Buffers;
using System.Diagnostics.CodeAnalysis;
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
        TryWrite(element, static (JsonElement e, ref Writer w) => w.TryAppend(e), output, out error);

    /// <summary>Appends canonical JSON made from <paramref name="root"/> to <paramref name="writer"/>.</summary>
    internal delegate bool Appender(JsonElement root, ref Writer writer);

    /// <summary>Runs <paramref name="append"/> on a fresh <see cref="Writer"/> and copies what it wrote to <paramref name="output"/>.</summary>
    internal static bool TryWrite(JsonElement root, Appender append, IBufferWriter<byte> output, out string? error)
    {
        ArgumentNullException.ThrowIfNull(output);
        return TryWrite(root, append, written =>
        {
            output.Write(written);
            return true;
        }, out _, out error);
    }

    /// <summary>Runs <paramref name="append"/> on a fresh <see cref="Writer"/> and, when it succeeds, returns what <paramref name="finish"/> makes of the bytes.</summary>
    internal static bool TryWrite<T>(JsonElement root, Appender append, Func<ReadOnlySpan<byte>, T> finish, [NotNullWhen(true)] out T? result, out string? error)
    {
        var writer = new Writer();
        try
        {
            var ok = append(root, ref writer);
            error = writer.Error;
            result = ok ? finish(writer.Written)! : default;
            return ok;
        }
        finally
        {
            writer.Dispose();
        }
    }

    private const string LoneSurrogateError = "string contains a lone surrogate, which JCS cannot represent";

    /// <summary>
    /// Writes canonical JSON into arrays rented from the shared pool; <see cref="Dispose"/> returns them. An object's
    /// members are collected first (each name in its JCS form, each value not yet read), sorted by those name bytes,
    /// then written, so every value is written once, in place.
    /// </summary>
    internal struct Writer : IDisposable
    {
        private byte[] _output = [];
        private int _length;

        // The members of the objects being written, innermost last: names as JCS string tokens with their colon, values unread.
        private byte[] _names = [];
        private int _namesLength;
        private Member[] _members = [];
        private JsonElement[] _values = [];
        private int _memberCount;

        public Writer()
        {
        }

        public string? Error { get; private set; }

        public readonly ReadOnlySpan<byte> Written => _output.AsSpan(0, _length);

        /// <summary>Appends the canonical form of <paramref name="element"/>; when it is an object, without its member named <paramref name="omit"/>.</summary>
        public bool TryAppend(JsonElement element, ReadOnlySpan<byte> omit = default)
        {
            // The canonical form is rarely longer than the JSON text (only a number can grow), and a name's never is.
            var textLength = JsonMarshal.GetRawUtf8Value(element).Length;
            Reserve(textLength);
            if (_names.Length < textLength)
            {
                Return(_names);
                _names = ArrayPool<byte>.Shared.Rent(textLength);
            }

            return element.ValueKind == JsonValueKind.Object ? WriteObject(element, omit) : WriteValue(element);
        }

        public void Append(ReadOnlySpan<byte> bytes)
        {
            Reserve(bytes.Length);
            bytes.CopyTo(_output.AsSpan(_length));
            _length += bytes.Length;
        }

        private void Append(byte value)
        {
            Reserve(1);
            _output[_length++] = value;
        }

        public bool Fail(string error)
        {
            Error = error;
            return false;
        }

        public void Dispose()
        {
            Return(_output);
            Return(_names);
            if (_members.Length > 0)
            {
                ArrayPool<Member>.Shared.Return(_members);
                ArrayPool<JsonElement>.Shared.Return(_values, clearArray: true);
            }
        }

        private bool WriteValue(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    return WriteObject(element, default);
                case JsonValueKind.Array:
                    return WriteArray(element);
                case JsonValueKind.String:
                    return WriteString(element);
                case JsonValueKind.Number:
                    return WriteNumber(element);
                case JsonValueKind.True:
                    Append("true"u8);
                    return true;
                case JsonValueKind.False:
                    Append("false"u8);
                    return true;
                default:
                    Append("null"u8);
                    return true;
            }
        }

        private bool WriteObject(JsonElement element, ReadOnlySpan<byte> omit)
        {
            var first = _memberCount;
            var namesStart = _namesLength;
            foreach (var property in element.EnumerateObject())
            {
                if ((omit.IsEmpty || !property.NameEquals(omit)) && !TryAddMember(property))
                {
                    return false;
                }
            }

            SortMembers(first);
            Append((byte)'{');
            for (var i = first; i < _memberCount; i++)
            {
                if (i > first)
                {
                    Append((byte)',');
                }

                // Read afresh each time: writing a value may move the members to larger arrays.
                var member = _members[i];
                Append(_names.AsSpan(member.Start, member.Length));
                if (!WriteValue(_values[member.Value]))
                {
                    return false;
                }
            }

            Append((byte)'}');
            _memberCount = first;
            _namesLength = namesStart;
            return true;
        }

        private bool TryAddMember(JsonProperty property)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            var escaped = raw.IndexOf((byte)'\\') >= 0;
            if (escaped && JsonEscapes.IndexOfLoneSurrogate(raw) >= 0)
            {
                return Fail(LoneSurrogateError); // decoding it would throw
            }

            var start = _namesLength;
            _names[_namesLength++] = (byte)'"';
            if (escaped)
            {
                _namesLength += Escape(property.Name, _names.AsSpan(_namesLength));
            }
            else
            {
                // Without an escape the raw UTF-8 is the JCS form: JSON forbids raw control characters.
                raw.CopyTo(_names.AsSpan(_namesLength));
                _namesLength += raw.Length;
            }

            _names[_namesLength++] = (byte)'"';
            _names[_namesLength++] = (byte)':';
            if (_memberCount == _members.Length)
            {
                Grow(ref _members, clear: false);
                Grow(ref _values, clear: true);
            }

            _members[_memberCount] = new Member(start, _namesLength - start, _memberCount, escaped);
            _values[_memberCount++] = property.Value;
            return true;
        }

        private readonly void SortMembers(int first)
        {
            var members = _members.AsSpan(first, _memberCount - first);
            if (members.Length > 32)
            {
                var captured = _names;
                members.Sort((x, y) => Compare(captured, x, y)); // a rare large object: allocates a delegate
                return;
            }

            var names = _names;

            // Insertion sort, as the framework's sort does for a handful of items, without a delegate.
            for (var i = 1; i < members.Length; i++)
            {
                var member = members[i];
                var j = i - 1;
                for (; j >= 0 && Compare(names, members[j], member) > 0; j--)
                {
                    members[j + 1] = members[j];
                }

                members[j + 1] = member;
            }
        }

        private static void Grow<T>(ref T[] array, bool clear)
        {
            var larger = ArrayPool<T>.Shared.Rent(Math.Max(32, array.Length * 2));
            array.CopyTo(larger, 0);
            if (array.Length > 0)
            {
                ArrayPool<T>.Shared.Return(array, clear);
            }

            array = larger;
        }

        private bool WriteArray(JsonElement element)
        {
            Append((byte)'[');
            var first = true;
            foreach (var item in element.EnumerateArray())
            {
                if (!first)
                {
                    Append((byte)',');
                }

                first = false;
                if (!WriteValue(item))
                {
                    return false;
                }
            }

            Append((byte)']');
            return true;
        }

        private bool WriteString(JsonElement element)
        {
            var token = JsonMarshal.GetRawUtf8Value(element);
            var content = token[1..^1];
            if (content.IndexOf((byte)'\\') < 0)
            {
                Append(token);
                return true;
            }

            if (JsonEscapes.IndexOfLoneSurrogate(content) >= 0)
            {
                return Fail(LoneSurrogateError);
            }

            Reserve(content.Length + 2);
            _output[_length] = (byte)'"';
            _length += 1 + Escape(element.GetString()!, _output.AsSpan(_length + 1));
            _output[_length++] = (byte)'"';
            return true;
        }

        /// <summary>Writes <paramref name="value"/> (no lone surrogates) as JCS string content; never longer than its escaped JSON text.</summary>
        private static int Escape(string value, Span<byte> destination)
        {
            var written = 0;
            foreach (var rune in value.EnumerateRunes())
            {
                ReadOnlySpan<byte> escape = rune.Value switch
                {
                    '"' => "\\\""u8,
                    '\\' => "\\\\"u8,
                    '\b' => "\\b"u8,
                    '\f' => "\\f"u8,
                    '\n' => "\\n"u8,
                    '\r' => "\\r"u8,
                    '\t' => "\\t"u8,
                    < 0x20 => [(byte)'\\', (byte)'u', (byte)'0', (byte)'0', (byte)"0123456789abcdef"[rune.Value >> 4], (byte)"0123456789abcdef"[rune.Value & 0xF]],
                    _ => [],
                };
                if (escape.IsEmpty)
                {
                    written += rune.EncodeToUtf8(destination[written..]);
                }
                else
                {
                    escape.CopyTo(destination[written..]);
                    written += escape.Length;
                }
            }

            return written;
        }

        private bool WriteNumber(JsonElement element)
        {
            var raw = JsonMarshal.GetRawUtf8Value(element);
            if (IsSmallInteger(raw) || IsCanonicalDecimal(raw))
            {
                Append(raw);
                return true;
            }

            if (!element.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                return Fail("number is outside the IEEE 754 double range, which JCS cannot represent");
            }

            var text = EcmaScriptNumber.Format(value);
            Reserve(text.Length);
            _length += Encoding.ASCII.GetBytes(text, _output.AsSpan(_length));
            return true;
        }

        // Integers of at most 15 digits are exact doubles that ECMAScript prints digit for digit; "-0" prints as "0".
        private static bool IsSmallInteger(ReadOnlySpan<byte> raw)
        {
            var digits = raw.Length > 0 && raw[0] == (byte)'-' ? raw[1..] : raw;
            return digits.Length is > 0 and <= 15
                && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9')
                && !(digits.Length == 1 && digits[0] == (byte)'0' && digits.Length != raw.Length);
        }

        private void Reserve(int count)
        {
            if (_length + count <= _output.Length)
            {
                return;
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_length + count, _output.Length * 2));
            Written.CopyTo(larger);
            Return(_output);
            _output = larger;
        }

        private static void Return(byte[] array)
        {
            if (array.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }

    /// <summary>An object member waiting to be written: its name's JCS token in the writer's names, and where its value is.</summary>
    private readonly record struct Member(int Start, int Length, int Value, bool Escaped);

    /// <summary>JCS sorts names by their UTF-16 code units; an escaped name's JCS bytes do not sort that way, so it is decoded (rare).</summary>
    private static int Compare(ReadOnlySpan<byte> names, Member x, Member y)
    {
        var a = names.Slice(x.Start, x.Length); // "name":
        var b = names.Slice(y.Start, y.Length);
        return x.Escaped || y.Escaped
            ? string.CompareOrdinal(Decode(a[..^1]), Decode(b[..^1]))
            : CompareUtf8AsUtf16(a[1..^2], b[1..^2]);

        static string Decode(ReadOnlySpan<byte> token)
        {
            var reader = new Utf8JsonReader(token);
            reader.Read();
            return reader.GetString()!;
        }
    }

    /// <summary>
    /// Compares UTF-8 as the UTF-16 of the same text compares. UTF-8 byte order is code point order, which differs from
    /// UTF-16 code unit order only between a supplementary character (4 UTF-8 bytes led by 0xF0..0xF4; a surrogate
    /// pair from 0xD800 in UTF-16) and U+E000..U+FFFF (3 bytes led by 0xEE or 0xEF). Where the texts first differ
    /// inside one character both lead bytes are equal, so only differing lead bytes can be such a pair.
    /// </summary>
    internal static int CompareUtf8AsUtf16(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var common = a.CommonPrefixLength(b);
        if (common == a.Length || common == b.Length)
        {
            return a.Length.CompareTo(b.Length);
        }

        int x = a[common], y = b[common];
        return x >= 0xF0 && y is 0xEE or 0xEF ? -1
            : y >= 0xF0 && x is 0xEE or 0xEF ? 1
            : x - y;
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

}

/// <summary>ECMAScript's Number.prototype.toString for finite doubles (ECMA-262 §6.1.6.1.20), as JCS requires.</summary>
internal static class EcmaScriptNumber
{
    public static string Format(double value)
    {
        if (value == 0)
        {
            return "0";
        }

        // "R" is the shortest text that round-trips, e.g. "1E+21", "1.5E-07", "333333333.3333333", "0.0001": read as its
        // significant digits d (k of them) and n such that the value is 0.d × 10^n, then laid out as ECMAScript does.
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var e = shortest.IndexOf('E', StringComparison.Ordinal);
        var mantissa = e < 0 ? shortest : shortest[..e];
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var all = mantissa.Replace(".", string.Empty, StringComparison.Ordinal);
        var d = all.TrimStart('0');
        var n = (point < 0 ? mantissa.Length : point) + (e < 0 ? 0 : int.Parse(shortest.AsSpan(e + 1), CultureInfo.InvariantCulture)) - (all.Length - d.Length);
        d = d.TrimEnd('0');
        var k = d.Length;
        var text = k <= n && n <= 21 ? d + new string('0', n - k)
            : 0 < n && n <= 21 ? $"{d[..n]}.{d[n..]}"
            : -6 < n && n <= 0 ? $"0.{new string('0', -n)}{d}"
            : string.Create(CultureInfo.InvariantCulture, $"{d[..1]}{(k > 1 ? "." : "")}{d[1..]}e{(n > 0 ? "+" : "-")}{Math.Abs(n - 1)}");
        return value < 0 ? "-" + text : text;
    }
}
