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
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F"
        + "\u007F\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008A\u008B\u008C\u008D\u008E\u008F"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009A\u009B\u009C\u009D\u009E\u009F"
        + "\u2028\u2029");

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
