using System.Buffers;
using System.Text;
using System.Text.Json;
using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

public sealed class JsonCanonicalizerTests
{
    [Fact]
    public void Canonicalize_Rfc8785Section322Example_MatchesTheRfc()
    {
        // RFC 8785 §3.2.2 input and §3.2.4 output, character for character.
        const string Input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;
        const string Expected = """{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}""";

        Assert.Equal(Expected, TestJson.Canonical(Input));
    }

    [Fact]
    public void Canonicalize_Rfc8785Section322Example_HasTheRfcUtf8Bytes()
    {
        // RFC 8785 §3.2.4 also gives the UTF-8 bytes of the canonical form.
        const string Input = """{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}""";
        const string ExpectedHex =
            "7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b3333"
            + "333333333333332e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472"
            + "696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d";

        Assert.Equal(ExpectedHex, Convert.ToHexStringLower(Encoding.UTF8.GetBytes(TestJson.Canonical(Input))));
    }

    [Fact]
    public void Canonicalize_Rfc8785Section323SortingExample_OrdersByUtf16CodeUnits()
    {
        const string Input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;
        var expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\","
            + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\","
            + "\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}";

        Assert.Equal(expected, TestJson.Canonical(Input));
    }

    [Fact]
    public void Canonicalize_SortingExampleWrittenAsRawUtf8_SameOrderAsEscaped()
    {
        // The same keys without escapes (except CR, which JSON requires) take the raw UTF-8 comparison path.
        var input = "{\"\u20ac\":1,\"\\r\":2,\"\ufb33\":3,\"1\":4,\"\U0001F600\":5,\"\u0080\":6,\"\u00f6\":7}";

        Assert.Equal(
            "{\"\\r\":2,\"1\":4,\"\u0080\":6,\"\u00f6\":7,\"\u20ac\":1,\"\U0001F600\":5,\"\ufb33\":3}",
            TestJson.Canonical(input));
    }

    [Fact]
    public void Canonicalize_SupplementaryVersusHighBmpKeys_SortsByUtf16NotByCodePoint()
    {
        // UTF-8 (code point) order would put U+FB33 and U+FFFD before U+1F600; UTF-16 puts the surrogate 0xD83D first.
        var input = "{\"\uffFD\":1,\"\U0001F600\":2,\"\ufb33\":3,\"\ue000\":4,\"\ud7ff\":5}";

        Assert.Equal(
            "{\"\ud7ff\":5,\"\U0001F600\":2,\"\ue000\":4,\"\ufb33\":3,\"\ufffd\":1}",
            TestJson.Canonical(input));
    }

    [Fact]
    public void Canonicalize_KeysSharingAPrefix_ShorterFirstThenByFirstDifference()
    {
        var input = "{\"ab\":1,\"a\":2,\"x\ufb33\":3,\"x\U0001F600\":4,\"x\u00e9\":5,\"\":6,\"B\":7,\"b\":8}";

        Assert.Equal(
            "{\"\":6,\"B\":7,\"a\":2,\"ab\":1,\"b\":8,\"x\u00e9\":5,\"x\U0001F600\":4,\"x\ufb33\":3}",
            TestJson.Canonical(input));
    }

    [Fact]
    public void Canonicalize_EscapedAndUnescapedKeysMixed_SortsByDecodedName()
    {
        const string Input = """{"c":1,"\u0062":2,"a\u0000":3,"a":4,"\u00e9":5,"z":6}""";

        Assert.Equal("{\"a\":4,\"a\\u0000\":3,\"b\":2,\"c\":1,\"z\":6,\"\u00e9\":5}", TestJson.Canonical(Input));
    }

    [Fact]
    public void Canonicalize_EscapedPropertyNames_AreWrittenWithJcsEscapes()
    {
        const string Input = """{"\u0041\u00e9\/\t":1,"quote\"name":2,"back\\slash":3,"\u001fx":4}""";

        Assert.Equal(
            "{\"\\u001fx\":4,\"A\u00e9/\\t\":1,\"back\\\\slash\":3,\"quote\\\"name\":2}",
            TestJson.Canonical(Input));
    }

    [Fact]
    public void Canonicalize_ControlCharacters_UseShortEscapesOrLowercaseU00XX()
    {
        const string Input = """
            ["\u0000\u0001\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u001A\u001F\u0020\u007F"]
            """;

        Assert.Equal(
            "[\"\\u0000\\u0001\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u001a\\u001f \u007f\"]",
            TestJson.Canonical(Input));
    }

    [Fact]
    public void Canonicalize_EveryControlCharacter_IsEscaped()
    {
        for (var c = 0; c < 0x20; c++)
        {
            var canonical = TestJson.Canonical($"\"\\u{c:X4}\"");

            var expected = c switch
            {
                0x08 => "\"\\b\"",
                0x09 => "\"\\t\"",
                0x0A => "\"\\n\"",
                0x0C => "\"\\f\"",
                0x0D => "\"\\r\"",
                _ => $"\"\\u{c:x4}\"",
            };
            Assert.Equal(expected, canonical);
        }
    }

    [Theory]
    [InlineData("\"\\/\"", "\"/\"")]
    [InlineData("\"\\u0022\\u005C\"", "\"\\\"\\\\\"")]
    [InlineData("\"\\u00e9\\u00E9\"", "\"\u00e9\u00e9\"")]
    [InlineData("\"\\u20AC\"", "\"\u20ac\"")]
    [InlineData("\"\\uD83D\\uDE00\"", "\"\U0001F600\"")]
    [InlineData("\"<>&'+\"", "\"<>&'+\"")]
    [InlineData("\"\\u003c\\u003E\\u0026\\u0027\\u002B\"", "\"<>&'+\"")]
    [InlineData("\"\u2028\u2029\"", "\"\u2028\u2029\"")]
    [InlineData("\"plain ascii\"", "\"plain ascii\"")]
    [InlineData("\"Zo\u00eb \U0001F600 \u20ac\"", "\"Zo\u00eb \U0001F600 \u20ac\"")]
    public void Canonicalize_Strings_UseMinimalEscapesAndRawUtf8(string input, string expected)
    {
        Assert.Equal(expected, TestJson.Canonical(input));
    }

    [Fact]
    public void Canonicalize_Strings_AreWrittenAsUtf8NotEscaped()
    {
        using var document = JsonDocument.Parse("\"\\u20ac\\ud83d\\ude00\"");
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(JsonCanonicalizer.TryWrite(document.RootElement, buffer, out var error), error);

        Assert.Equal("22e282acf09f988022", Convert.ToHexStringLower(buffer.WrittenSpan));
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("-0", "0")]
    [InlineData("-0.0", "0")]
    [InlineData("0e10", "0")]
    [InlineData("-0.000e9999", "0")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1E+21", "1e+21")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("100000000000000000000", "100000000000000000000")]
    [InlineData("1e-7", "1e-7")]
    [InlineData("1e-6", "0.000001")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("333333333.33333329", "333333333.3333333")]
    [InlineData("1E30", "1e+30")]
    [InlineData("4.50", "4.5")]
    [InlineData("2e-3", "0.002")]
    [InlineData("0.000000000000000000000000001", "1e-27")]
    [InlineData("9007199254740992", "9007199254740992")]
    [InlineData("9007199254740993", "9007199254740992")]
    [InlineData("-9007199254740992", "-9007199254740992")]
    [InlineData("295147905179352830000", "295147905179352830000")]
    [InlineData("100000000000000000000000", "1e+23")]
    [InlineData("-1.5", "-1.5")]
    [InlineData("5e-324", "5e-324")]
    [InlineData("1.7976931348623157e308", "1.7976931348623157e+308")]
    [InlineData("-1.7976931348623157E+308", "-1.7976931348623157e+308")]
    [InlineData("1e-400", "0")]
    [InlineData("1.0", "1")]
    [InlineData("1e0", "1")]
    [InlineData("10E-1", "1")]
    [InlineData("1.00000000000000000000001", "1")]
    [InlineData("0.1", "0.1")]
    [InlineData("100", "100")]
    [InlineData("-42", "-42")]
    [InlineData("999999999999999", "999999999999999")]
    [InlineData("-999999999999999", "-999999999999999")]
    [InlineData("1234567890123456", "1234567890123456")]
    [InlineData("123456789012345678", "123456789012345680")]
    [InlineData("1763647541873", "1763647541873")]
    [InlineData("1763647541873.0", "1763647541873")]
    [InlineData("1.763647541873e12", "1763647541873")]
    public void Canonicalize_Numbers_AreWrittenAsEcmaScriptPrintsThem(string input, string expected)
    {
        Assert.Equal(expected, TestJson.Canonical(input));
        Assert.Equal("[" + expected + "]", TestJson.Canonical("[" + input + "]"));
    }

    [Fact]
    public void Canonicalize_Literals_AreCopied()
    {
        Assert.Equal("[null,true,false]", TestJson.Canonical(" [ null , true , false ] "));
    }

    [Fact]
    public void Canonicalize_InsignificantWhitespace_IsRemoved()
    {
        const string Input = " \r\n\t{ \"b\" :\t[ 1 ,\n 2 , { } , [ ] ] ,\r\n  \"a\" : \"x y\" , \"c\" : { \"e\" : null , \"d\" : true } } \n";

        Assert.Equal("{\"a\":\"x y\",\"b\":[1,2,{},[]],\"c\":{\"d\":true,\"e\":null}}", TestJson.Canonical(Input));
    }

    [Fact]
    public void Canonicalize_NestedObjectsAndArrays_SortsEveryObjectAndKeepsArrayOrder()
    {
        const string Input = """{"z":[{"b":1,"a":[3,2,1]},{"d":{"y":0,"x":[{"k":2,"j":1}]}}],"m":{"n":{"p":1,"o":2}},"a":[]}""";

        Assert.Equal(
            """{"a":[],"m":{"n":{"o":2,"p":1}},"z":[{"a":[3,2,1],"b":1},{"d":{"x":[{"j":1,"k":2}],"y":0}}]}""",
            TestJson.Canonical(Input));
    }

    [Theory]
    [InlineData("{}", "{}")]
    [InlineData("[]", "[]")]
    [InlineData("\"\"", "\"\"")]
    [InlineData("{\"\":\"\"}", "{\"\":\"\"}")]
    [InlineData("[[[]]]", "[[[]]]")]
    public void Canonicalize_EmptyValues_AreKept(string input, string expected)
    {
        Assert.Equal(expected, TestJson.Canonical(input));
    }

    [Fact]
    public void Canonicalize_CanonicalOutput_IsAFixedPoint()
    {
        const string Input = """{"numbers":[333333333.33333329,1E30,4.50,2e-3],"s":"\u20ac\u000F\n","k":{"\u00f6":1,"1":2}}""";
        var once = TestJson.Canonical(Input);

        Assert.Equal(once, TestJson.Canonical(once));
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("[1, 2, 1e309]")]
    [InlineData("{\"a\":{\"b\":1E999}}")]
    public void TryWrite_NumberOutsideDoubleRange_ReturnsFalseWithReason(string json)
    {
        using var document = JsonDocument.Parse(json);
        var buffer = new ArrayBufferWriter<byte>();

        Assert.False(JsonCanonicalizer.TryWrite(document.RootElement, buffer, out var error));
        Assert.Equal("number is outside the IEEE 754 double range, which JCS cannot represent", error);
    }

    [Theory]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"\\udc00\"")]
    [InlineData("[\"ok\", \"x\\ud83d\"]")]
    [InlineData("{\"a\":\"\\ude00\\ud83d\"}")]
    [InlineData("{\"\\ud800\":1,\"b\":2}")]
    [InlineData("{\"b\":{\"x\\udfff\":1}}")]
    public void TryWrite_LoneSurrogate_ReturnsFalseWithReasonInsteadOfThrowing(string json)
    {
        // JsonDocument itself accepts lone surrogate escapes; only the canonicalizer has to refuse them.
        using var document = JsonDocument.Parse(json);
        var buffer = new ArrayBufferWriter<byte>();

        Assert.False(JsonCanonicalizer.TryWrite(document.RootElement, buffer, out var error));
        Assert.Equal("string contains a lone surrogate, which JCS cannot represent", error);
    }

    [Fact]
    public void TryWrite_Unrepresentable_FailsWithReason()
    {
        using var document = JsonDocument.Parse("{\"n\":1e400}");

        Assert.False(JsonCanonicalizer.TryWrite(document.RootElement, new ArrayBufferWriter<byte>(), out var error));

        Assert.Contains("IEEE 754", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryWrite_Success_ReportsNoError()
    {
        using var document = JsonDocument.Parse("{\"b\":1,\"a\":2}");
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(JsonCanonicalizer.TryWrite(document.RootElement, buffer, out var error));

        Assert.Null(error);
        Assert.Equal("{\"a\":2,\"b\":1}", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void TryWrite_LargeObject_SortsAllProperties()
    {
        // More properties than a small pooled array holds, in reverse order.
        var names = Enumerable.Range(0, 300).Select(i => $"k{i:D4}").ToArray();
        var input = "{" + string.Join(",", names.Reverse().Select(n => $"\"{n}\":0")) + "}";

        var canonical = TestJson.Canonical(input);

        Assert.Equal("{" + string.Join(",", names.Select(n => $"\"{n}\":0")) + "}", canonical);
    }
}
