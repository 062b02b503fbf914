using System.Buffers;
using System.Text;

namespace GenesysDedup.Handlers.Http;

/// <summary>
/// The key in a form every HTTP stack accepts as a header value. A path key may hold any string, but header values
/// are ASCII without control characters (.NET refuses anything else, so the handler would fail on every retry), and
/// surrounding spaces are trimmed. Every UTF-8 byte outside <c>!</c>..<c>~</c>, and <c>%</c> itself, becomes
/// <c>%XX</c> (upper-case hex): a key that is already header-safe, such as every fingerprint, is sent unchanged, and a
/// downstream recovers the exact key by percent-decoding the value as UTF-8.
/// </summary>
internal static class IdempotencyKeyHeader
{
    /// <summary>The header the <c>http</c> handler sends the key in.</summary>
    public const string Name = "Idempotency-Key";

    public static string Encode(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!key.AsSpan().ContainsAnyExcept(SafeChars))
        {
            return key;
        }

        var utf8 = Encoding.UTF8.GetBytes(key);
        var text = new StringBuilder(utf8.Length * 3);
        foreach (var b in utf8)
        {
            if (IsSafe(b))
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(HexUpper[b >> 4]).Append(HexUpper[b & 0xF]);
            }
        }

        return text.ToString();
    }

    private const string HexUpper = "0123456789ABCDEF";

    private static readonly SearchValues<char> SafeChars = SearchValues.Create([.. Enumerable.Range('!', '~' - '!' + 1).Where(c => c != '%').Select(c => (char)c)]);

    private static bool IsSafe(byte b) => b is >= (byte)'!' and <= (byte)'~' and not (byte)'%';
}
