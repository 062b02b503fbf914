using System.Buffers;
using System.Globalization;
using System.Text;

namespace GenesysDedup.Domain;

/// <summary>
/// A value that came from a request (a key, an event id, a topic, a detail-type, an SQS message id), as it goes into
/// a log line. Control characters (C0, DEL, C1) and the Unicode line and paragraph separators are written as
/// <c>\uXXXX</c>, so a sender can neither end a line and forge the next one nor drive a terminal with escape
/// sequences. Escaping happens only when a line is actually written. Log methods take this type, so every such value
/// is escaped without the call sites having to remember it.
/// </summary>
public readonly struct LogText(string? value) : IEquatable<LogText>
{
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        [.. Enumerable.Range(0, 0xA0).Where(c => c is < 0x20 or >= 0x7F).Select(c => (char)c), '\u2028', '\u2029']);

    /// <summary>The value as received, unescaped.</summary>
    public string? Value => value;

    /// <summary>Wraps <paramref name="value"/> for logging.</summary>
    public static implicit operator LogText(string? value) => new(value);

    /// <summary>Wraps <paramref name="value"/> for logging.</summary>
    public static LogText FromString(string? value) => new(value);

    /// <summary>The value with every unsafe character escaped; <c>(null)</c> for null, as the logger writes it.</summary>
    public override string ToString() => Escape(value);

    /// <summary><paramref name="text"/> with every unsafe character written as <c>\uXXXX</c>; <c>(null)</c> for null.</summary>
    public static string Escape(string? text)
    {
        if (text is null)
        {
            return "(null)";
        }

        var first = text.AsSpan().IndexOfAny(Unsafe);
        if (first < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (Unsafe.Contains(c))
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    /// <summary>Ordinal equality of the unescaped values.</summary>
    public bool Equals(LogText other) => string.Equals(value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is LogText other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => value is null ? 0 : StringComparer.Ordinal.GetHashCode(value);

    /// <summary>Ordinal equality of the unescaped values.</summary>
    public static bool operator ==(LogText left, LogText right) => left.Equals(right);

    /// <summary>Ordinal inequality of the unescaped values.</summary>
    public static bool operator !=(LogText left, LogText right) => !left.Equals(right);
}
