using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using CsCheck;
using GenesysDedup.Testing;

namespace GenesysDedup.Domain.Tests;

/// <summary>
/// The canonical writer against <see cref="ReferenceCanonicalizer"/>, the implementation every stored fingerprint was
/// made with: the same bytes, or the same error, for every sample, every hostile body that the event parser would let through to a fingerprint, and generated JSON
/// that is hard on a canonicalizer (escapes, surrogates, names that sort differently in UTF-8 and UTF-16, numbers of
/// every form, deep nesting).
/// </summary>
public sealed class JsonCanonicalizerDifferentialTests
{
    public static TheoryData<string> SampleNames => [.. Samples.GenesysNames, Samples.Tutorial];

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void TryWriteIdentity_Samples_SameBytesAsReference(string sample)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(sample));
        var root = dedupEvent.Root;
        var expected = new ArrayBufferWriter<byte>();
        Assert.True(root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Object
            ? ReferenceCanonicalizer.TryWrite(detail, expected, out _, ["timestamp"])
            : ReferenceCanonicalizer.TryWrite(root, expected, out _));
        var actual = new ArrayBufferWriter<byte>();

        Assert.True(EventFingerprint.TryWriteIdentity(root, actual, out var error), error);

        Assert.Equal(Encoding.UTF8.GetString(expected.WrittenSpan), Encoding.UTF8.GetString(actual.WrittenSpan));
        AssertSameCanonicalForm(root);
    }

    [Theory]
    [InlineData(4 * 1024)]
    [InlineData(1024 * 1024)]
    public void Canonicalize_GrownTranscription_SameAsReference(int size)
    {
        using var document = JsonDocument.Parse(EventBuilder.Transcription(size, new Random(size)));

        AssertSameCanonicalForm(document.RootElement);
    }

    [Fact]
    public void Canonicalize_HostileBodiesThatParse_SameAsReference()
    {
        var compared = 0;
        HostileInputs.Cases.Sample(
            hostile =>
            {
                // Invalid UTF-8 and duplicate names never reach a fingerprint (the event parser refuses both), and the
                // two writers order them differently (JCS does not define either).
                var body = HostileInputs.Build(hostile);
                if (!Utf8.IsValid(body))
                {
                    return;
                }

                JsonDocument document;
                try
                {
                    document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256, AllowDuplicateProperties = false });
                }
                catch (JsonException)
                {
                    return;
                }

                using (document)
                {
                    AssertSameCanonicalForm(document.RootElement);
                    Interlocked.Increment(ref compared);
                }
            },
            seed: HostileInputs.Seed,
            iter: HostileInputs.Iterations,
            threads: 1);

        Assert.True(compared > 100, $"only {compared} hostile bodies parsed");
    }

    [Fact]
    public void Canonicalize_GeneratedNastyJson_SameAsReference()
    {
        var canonical = 0;
        Gen.Int.Sample(
            seed =>
            {
                var json = NastyJson.Value(new Random(seed), depth: 0);
                using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
                if (AssertSameCanonicalForm(document.RootElement))
                {
                    canonical++;
                }
            },
            iter: 3_000,
            threads: 1);

        // Lone surrogates and huge numbers make some inputs fail; most must get through to be compared byte for byte.
        Assert.True(canonical > 1_500, $"only {canonical} of 3,000 generated documents had a canonical form");
    }

    [Fact]
    public void Canonicalize_DeepNesting_SameAsReference()
    {
        var json = new StringBuilder();
        for (var i = 0; i < 160; i++)
        {
            json.Append(i % 2 == 0 ? "{\"b\":1,\"a\":[" : "{\"\\u00e9\":0,\"z\":");
        }

        json.Append("0.5");
        for (var i = 159; i >= 0; i--)
        {
            json.Append(i % 2 == 0 ? "]}" : "}");
        }

        using var document = JsonDocument.Parse(json.ToString(), new JsonDocumentOptions { MaxDepth = 256 });

        AssertSameCanonicalForm(document.RootElement);
    }

    private static bool AssertSameCanonicalForm(JsonElement element)
    {
        var expected = new ArrayBufferWriter<byte>();
        var expectedOk = ReferenceCanonicalizer.TryWrite(element, expected, out var expectedError);
        var actual = new ArrayBufferWriter<byte>();

        var actualOk = JsonCanonicalizer.TryWrite(element, actual, out var actualError);

        Assert.Equal((expectedOk, expectedError), (actualOk, actualError));
        if (expectedOk)
        {
            Assert.Equal(Convert.ToHexString(expected.WrittenSpan), Convert.ToHexString(actual.WrittenSpan));
        }

        return actualOk;
    }

    /// <summary>Random JSON text, written by hand so that it can spell the same value in every legal way.</summary>
    private static class NastyJson
    {
        // Names whose UTF-8 and UTF-16 orders differ, escaped and raw spellings of one name, JCS escapes, prefixes.
        private static readonly string[] Names =
        [
            "a", "ab", "B", "", "1", "\u20ac", "\\u20ac", "\ufb33", "\\ufb33", "\uffff", "\ue000", "\ud7ff", "\U0001F600",
            "\\ud83d\\ude00", "\U00010000", "\\ud800\\udc00", "x\U0001F600", "x\ufb33", "\u0080", "\\u0080", "\u00f6", "\\u00F6",
            "\\r", "\\n\\t", "\\u0000", "\\u001f", "\\\"", "\\\\", "\\/", "q\\\"uote", "\\u0041", "timestamp", "\\u0074imestamp",
            "\u2028", "\u007f", "a\\u0000", "ab\\u0000", "\\u00e9t\\u00e9", "\u00e9t\u00e9", "straße", "番号", "\\ud83d",
        ];

        private static readonly string[] Strings =
        [
            "", "plain", "\\\"", "\\\\", "\\/", "\\b\\f\\n\\r\\t", "\\u0000\\u001F\\u007f", "\\u20AC", "\u20ac", "\\ud83d\\ude00",
            "\U0001F600", "\\uDBFF\\uDFFF", "\\ud800", "x\\udc00", "\\ude00\\ud83d", "\u2028\u2029", "<>&'+", "\\u003c\\u0026",
            "été straße 番号", "tab\\there", "\\u00e9\\u00E9",
        ];

        private static readonly string[] Numbers =
        [
            "0", "-0", "-0.0", "0e10", "0E-5", "1", "-1", "10", "100", "1e21", "1E+21", "1e20", "1e-7", "1e-6", "0.000001",
            "0.0000001", "4.50", "2e-3", "333333333.33333329", "1E30", "9007199254740993", "123456789012345678",
            "999999999999999", "1000000000000000", "-999999999999999", "0.914", "0.1", "0.30000000000000004", "5e-324",
            "1.7976931348623157e308", "1e400", "-1e400", "1e-400", "1.0", "10E-1", "1.00000000000000000000001",
            "1763647541873", "1763647541873.0", "1.763647541873e12", "0.0001234", "12.340", "-12.34", "123456789.123456",
            "1234567890.12345678",
        ];

        public static string Value(Random random, int depth)
        {
            // Containers get rarer below depth 4, so that the tree stays finite (yet sometimes runs deep).
            var kind = random.Next(depth < 4 || (depth < 48 && random.Next(4) == 0) ? 8 : 5);
            return kind switch
            {
                0 => Pick(Numbers, random),
                1 => RandomNumber(random),
                2 => "\"" + Pick(Strings, random) + Pick(Strings, random) + "\"",
                3 => Pick(["true", "false", "null"], random),
                4 => "\"" + Pick(Names, random) + "\"",
                5 or 6 => Object(random, depth),
                _ => Array(random, depth),
            };
        }

        private static string Object(Random random, int depth)
        {
            // Distinct decoded names: duplicates are refused by the parser before any fingerprint is made.
            var used = new HashSet<string>(StringComparer.Ordinal);
            var members = new List<string>();
            for (var i = random.Next(random.Next(4) == 0 ? 40 : 6); i > 0; i--)
            {
                var name = Pick(Names, random) + (random.Next(3) == 0 ? Pick(Names, random) : string.Empty);
                using var decoded = JsonDocument.Parse("\"" + name + "\"");
                if (JsonEscapes.IndexOfLoneSurrogate(Encoding.UTF8.GetBytes(name)) < 0 && !used.Add(decoded.RootElement.GetString()!))
                {
                    continue;
                }

                members.Add(Space(random) + "\"" + name + "\"" + Space(random) + ":" + Value(random, depth + 1));
            }

            return "{" + string.Join(",", members) + Space(random) + "}";
        }

        private static string Array(Random random, int depth) =>
            "[" + string.Join(",", Enumerable.Range(0, random.Next(5)).Select(_ => Space(random) + Value(random, depth + 1))) + "]";

        private static string RandomNumber(Random random) => random.Next(5) switch
        {
            0 => random.NextInt64(long.MinValue, long.MaxValue).ToString(CultureInfo.InvariantCulture),
            1 => (random.NextDouble() * Math.Pow(10, random.Next(-30, 30))).ToString("R", CultureInfo.InvariantCulture),
            2 => BitConverter.Int64BitsToDouble(random.NextInt64()) is var d && double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "0",
            3 => random.Next(1000).ToString(CultureInfo.InvariantCulture) + "." + random.Next(100000).ToString("D5", CultureInfo.InvariantCulture),
            _ => random.Next(-99, 99).ToString(CultureInfo.InvariantCulture) + Pick(["e", "E", "e+", "E-"], random) + random.Next(0, 330).ToString(CultureInfo.InvariantCulture),
        };

        private static string Space(Random random) => random.Next(4) == 0 ? Pick([" ", "\n", "\t ", "\r\n  "], random) : string.Empty;

        private static string Pick(string[] values, Random random) => values[random.Next(values.Length)];
    }
}
