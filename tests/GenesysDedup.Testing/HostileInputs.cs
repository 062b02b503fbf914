using System.Text;
using CsCheck;

namespace GenesysDedup.Testing;

/// <summary>
/// Generates hostile event bodies: real samples truncated, bit-flipped, spliced with random bytes, wrapped in deep
/// nesting, stuffed with huge numbers, long strings, duplicate keys, lone surrogates and BOMs, and plain noise.
/// Each case is built from a (sample, kind, seed) triple, so a failure prints a case that can be rebuilt exactly.
/// </summary>
public static class HostileInputs
{
    /// <summary>Cases per property in CI; set GENESYSDEDUP_HOSTILE_CASES (e.g. 100000) for a long run.</summary>
    public static long Iterations =>
        long.TryParse(Environment.GetEnvironmentVariable("GENESYSDEDUP_HOSTILE_CASES"), out var n) && n > 0 ? n : 5_000;

    /// <summary>A fixed first seed, so CI runs the same cases every time; GENESYSDEDUP_HOSTILE_SEED overrides it.</summary>
    public static string Seed =>
        Environment.GetEnvironmentVariable("GENESYSDEDUP_HOSTILE_SEED") is { Length: > 0 } seed ? seed : new PCG(7, 20261127).ToString();

    private static readonly byte[][] Corpus =
    [
        .. Samples.GenesysNames.Select(Samples.Bytes),
        Samples.Bytes(Samples.Tutorial),
        "{}"u8.ToArray(),
        """{"detail":{"event_id":"e-1","data":[1,2.5e3,-0,true,null,"\u00e9\ud83d\ude00"]}}"""u8.ToArray(),
    ];

    private const int Kinds = 11;

    public static Gen<HostileCase> Cases { get; } =
        Gen.Select(Gen.Int[0, Corpus.Length - 1], Gen.Int[0, Kinds - 1], Gen.Int, (sample, kind, seed) => new HostileCase(sample, kind, seed));

    public static byte[] Build(HostileCase hostile)
    {
        var random = new Random(hostile.Seed);
        var original = Corpus[hostile.Sample];
        return hostile.Kind switch
        {
            0 => original[..random.Next(original.Length + 1)],
            1 => FlipBits(original, random),
            2 => Splice(original, random),
            3 => [.. Repeat([0xEF, 0xBB, 0xBF], random.Next(1, 3)), .. original],
            4 => Nest(original, random.Next(1, 200), random.Next(2) == 0),
            5 => Inject(original, random, "\"long\":\"" + new string((char)random.Next('a', 'z'), random.Next(10_000, 300_000)) + "\","),
            6 => Inject(original, random, "\"n\":" + HugeNumbers[random.Next(HugeNumbers.Length)] + ","),
            7 => Inject(original, random, "\"id\":\"dup\",\"id\":\"dup2\","),
            8 => Inject(original, random, "\"s\":\"" + LoneSurrogates[random.Next(LoneSurrogates.Length)] + "\","),
            9 => Noise(random),
            _ => Tokens(random),
        };
    }

    private static readonly string[] HugeNumbers =
        ["1e400", "-1e400", "1e-400", "123456789012345678901234567890123456789", "-0", "0.000000000000000000000000000001", "9007199254740993", "1E+308", "2e308"];

    private static readonly string[] LoneSurrogates = [@"\ud800", @"\udfff", @"a\ud83d", @"\ude00b", @"\ud800\ud800"];

    private static byte[] FlipBits(byte[] original, Random random)
    {
        var copy = (byte[])original.Clone();
        for (var i = random.Next(1, 9); i > 0 && copy.Length > 0; i--)
        {
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        }

        return copy;
    }

    private static byte[] Splice(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        for (var i = random.Next(1, 6); i > 0; i--)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(3))
            {
                case 0:
                    var burst = new byte[random.Next(1, 16)];
                    random.NextBytes(burst);
                    bytes.InsertRange(at, burst);
                    break;
                case 1 when at < bytes.Count:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 16), bytes.Count - at));
                    break;
                default:
                    if (at < bytes.Count)
                    {
                        bytes[at] = (byte)random.Next(256);
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    private static byte[] Nest(byte[] original, int depth, bool arrays)
    {
        var open = arrays ? "[" : "{\"a\":";
        var close = arrays ? "]" : "}";
        var text = "{\"detail\":" + string.Concat(Enumerable.Repeat(open, depth)) + Encoding.UTF8.GetString(original) + string.Concat(Enumerable.Repeat(close, depth)) + "}";
        return Encoding.UTF8.GetBytes(text);
    }

    // Puts a member right after the first '{' of the sample (top level), keeping the rest intact.
    private static byte[] Inject(byte[] original, Random random, string member)
    {
        var text = Encoding.UTF8.GetString(original);
        var brace = text.IndexOf('{', StringComparison.Ordinal);
        if (brace < 0 || random.Next(4) == 0)
        {
            return Encoding.UTF8.GetBytes("{" + member.TrimEnd(',') + "}");
        }

        var rest = text[(brace + 1)..].TrimStart();
        return Encoding.UTF8.GetBytes(text[..(brace + 1)] + (rest.StartsWith('}') ? member.TrimEnd(',') : member) + rest);
    }

    private static byte[] Noise(Random random)
    {
        var bytes = new byte[random.Next(0, 512)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static readonly string[] TokenSet = ["{", "}", "[", "]", ":", ",", "\"k\"", "\"v\"", "1", "-", "e", "true", "null", "\\u0000", "\"", " ", "\u00ff"];

    private static byte[] Tokens(Random random)
    {
        var text = new StringBuilder();
        for (var i = random.Next(1, 80); i > 0; i--)
        {
            text.Append(TokenSet[random.Next(TokenSet.Length)]);
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static IEnumerable<byte> Repeat(byte[] bytes, int times) => Enumerable.Repeat(bytes, times).SelectMany(b => b);
}

/// <summary>One hostile case: rebuild it with <see cref="HostileInputs.Build"/>.</summary>
public readonly record struct HostileCase(int Sample, int Kind, int Seed);
