using System.Globalization;

namespace GenesysDedup.Domain;

/// <summary>
/// Finds <c>\uXXXX</c> escapes that decode to a lone UTF-16 surrogate. JSON's grammar allows them but they are not
/// Unicode (I-JSON, RFC 7493 §2.1, forbids them; JCS cannot write them), and System.Text.Json throws
/// <see cref="InvalidOperationException"/> when it has to decode one. Checking the raw bytes first keeps both the
/// parser and the canonicalizer free of exceptions for such input.
/// </summary>
internal static class JsonEscapes
{
    /// <summary>The offset of the first lone surrogate escape in <paramref name="utf8"/> (JSON text or one token's raw content), or -1.</summary>
    public static int IndexOfLoneSurrogate(ReadOnlySpan<byte> utf8)
    {
        var i = 0;
        while (true)
        {
            var found = utf8[i..].IndexOf((byte)'\\');
            if (found < 0)
            {
                return -1;
            }

            i += found;
            if (i + 1 >= utf8.Length)
            {
                return -1;
            }

            if (utf8[i + 1] != (byte)'u' || !TryReadHex4(utf8, i + 2, out var unit))
            {
                // \" \\ \/ \b \f \n \r \t (or something the JSON parser rejects anyway): skip both bytes.
                i += 2;
                continue;
            }

            if (char.IsLowSurrogate(unit))
            {
                return i;
            }

            if (char.IsHighSurrogate(unit))
            {
                if (i + 7 < utf8.Length && utf8[i + 6] == (byte)'\\' && utf8[i + 7] == (byte)'u'
                    && TryReadHex4(utf8, i + 8, out var low) && char.IsLowSurrogate(low))
                {
                    i += 12;
                    continue;
                }

                return i;
            }

            i += 6;
        }
    }

    private static bool TryReadHex4(ReadOnlySpan<byte> utf8, int start, out char unit)
    {
        ushort value = 0;
        var ok = start + 4 <= utf8.Length && ushort.TryParse(utf8.Slice(start, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        unit = (char)value;
        return ok;
    }
}
