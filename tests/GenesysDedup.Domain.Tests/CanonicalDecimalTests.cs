using System.Globalization;
using System.Text;
using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

/// <summary>The canonicalizer copies a plain decimal only when ECMAScript would print exactly the same text.</summary>
public sealed class CanonicalDecimalTests
{
    [Theory]
    [InlineData("0.914")]
    [InlineData("-0.5")]
    [InlineData("123.456")]
    [InlineData("0.000001")]
    [InlineData("-0.000001")]
    [InlineData("0.00001234")]
    [InlineData("99999999999999.9")]
    [InlineData("0.123456789012345")]
    [InlineData("1.5")]
    public void IsCanonicalDecimal_PlainDecimalAsEcmaScriptPrintsIt_IsTrueAndMatchesTheSlowPath(string raw)
    {
        Assert.True(JsonCanonicalizer.IsCanonicalDecimal(Encoding.ASCII.GetBytes(raw)));
        Assert.Equal(raw, Format(raw));
    }

    [Theory]
    [InlineData("1.50")]         // trailing zero: JCS writes 1.5
    [InlineData("0.0000001")]    // below 1e-6: JCS writes 1e-7
    [InlineData("1e5")]
    [InlineData("1.5E3")]
    [InlineData("1.5e-3")]
    [InlineData("1234567890123456.5")] // 17 significant digits
    [InlineData("0.1234567890123456")] // 16 significant digits
    [InlineData("-0.0")]
    [InlineData("0.0")]
    [InlineData("10")]           // integers have their own fast path
    [InlineData("-0")]
    [InlineData("")]
    public void IsCanonicalDecimal_AnythingElse_IsFalse(string raw)
    {
        Assert.False(JsonCanonicalizer.IsCanonicalDecimal(Encoding.ASCII.GetBytes(raw)));
    }

    [Fact]
    public void IsCanonicalDecimal_RandomDecimals_AgreeWithTheEcmaScriptFormatter()
    {
        var random = new Random(8785);
        var accepted = 0;
        for (var i = 0; i < 200_000; i++)
        {
            var raw = RandomDecimal(random);
            if (JsonCanonicalizer.IsCanonicalDecimal(Encoding.ASCII.GetBytes(raw)))
            {
                accepted++;
                Assert.Equal(Format(raw), raw);
            }
        }

        Assert.True(accepted > 50_000, $"only {accepted} random decimals took the fast path");
    }

    [Fact]
    public void Canonicalize_DecimalsOnBothPaths_WritesTheEcmaScriptForm()
    {
        using var document = System.Text.Json.JsonDocument.Parse("""{"a":[0.914,1.50,0.0000001,-2.25,1e2,0.30000000000000004]}""");

        Assert.Equal("""{"a":[0.914,1.5,1e-7,-2.25,100,0.30000000000000004]}""", TestJson.Canonicalize(document.RootElement));
    }

    private static string Format(string raw) => EcmaScriptNumber.Format(double.Parse(raw, CultureInfo.InvariantCulture));

    // Random plain decimals: 1–17 digits, a point anywhere, optional sign, leading zeros after "0." and trailing zeros.
    private static string RandomDecimal(Random random)
    {
        var builder = new StringBuilder();
        if (random.Next(4) == 0)
        {
            builder.Append('-');
        }

        var integerDigits = random.Next(0, 9);
        if (integerDigits == 0)
        {
            builder.Append('0');
        }
        else
        {
            builder.Append((char)('1' + random.Next(9)));
            for (var i = 1; i < integerDigits; i++)
            {
                builder.Append((char)('0' + random.Next(10)));
            }
        }

        builder.Append('.');
        if (integerDigits == 0)
        {
            builder.Append('0', random.Next(0, 8));
        }

        var fractionDigits = random.Next(1, 12);
        for (var i = 0; i < fractionDigits; i++)
        {
            builder.Append((char)('0' + random.Next(10)));
        }

        return builder.ToString();
    }
}
