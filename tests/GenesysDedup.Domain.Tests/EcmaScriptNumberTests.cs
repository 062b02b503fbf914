using System.Globalization;
using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

public sealed class EcmaScriptNumberTests
{
    /// <summary>RFC 8785 Appendix B: IEEE 754 bit patterns and the JSON text JCS must write for them.</summary>
    public static TheoryData<string, string> Rfc8785AppendixB => new()
    {
        { "0000000000000000", "0" },
        { "8000000000000000", "0" },
        { "0000000000000001", "5e-324" },
        { "8000000000000001", "-5e-324" },
        { "7fefffffffffffff", "1.7976931348623157e+308" },
        { "ffefffffffffffff", "-1.7976931348623157e+308" },
        { "4340000000000000", "9007199254740992" },
        { "c340000000000000", "-9007199254740992" },
        { "4430000000000000", "295147905179352830000" },
        { "44b52d02c7e14af5", "9.999999999999997e+22" },
        { "44b52d02c7e14af6", "1e+23" },
        { "44b52d02c7e14af7", "1.0000000000000001e+23" },
        { "444b1ae4d6e2ef4e", "999999999999999700000" },
        { "444b1ae4d6e2ef4f", "999999999999999900000" },
        { "444b1ae4d6e2ef50", "1e+21" },
        { "3eb0c6f7a0b5ed8c", "9.999999999999997e-7" },
        { "3eb0c6f7a0b5ed8d", "0.000001" },
        { "41b3de4355555553", "333333333.3333332" },
        { "41b3de4355555554", "333333333.33333325" },
        { "41b3de4355555555", "333333333.3333333" },
        { "41b3de4355555556", "333333333.3333334" },
        { "41b3de4355555557", "333333333.33333343" },
        { "becbf647612f3696", "-0.0000033333333333333333" },
        { "43143ff3c1cb0959", "1424953923781206.2" },
    };

    [Theory]
    [MemberData(nameof(Rfc8785AppendixB))]
    public void Format_Rfc8785AppendixBSample_WritesTheRfcText(string ieeeHex, string expected)
    {
        var value = BitConverter.Int64BitsToDouble(long.Parse(ieeeHex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));

        Assert.Equal(expected, Format(value));
    }

    [Theory]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1e-6, "0.000001")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(1.5e-7, "1.5e-7")]
    [InlineData(-1e-7, "-1e-7")]
    [InlineData(123e-20, "1.23e-18")]
    [InlineData(1e30, "1e+30")]
    [InlineData(4.5, "4.5")]
    [InlineData(-1.5, "-1.5")]
    [InlineData(0.002, "0.002")]
    [InlineData(0.1, "0.1")]
    [InlineData(100, "100")]
    [InlineData(1e16, "10000000000000000")]
    [InlineData(1.5e300, "1.5e+300")]
    [InlineData(123456789012345680000.0, "123456789012345680000")]
    [InlineData(1763647541873, "1763647541873")]
    [InlineData(0.914, "0.914")]
    [InlineData(double.Epsilon, "5e-324")]
    [InlineData(double.MaxValue, "1.7976931348623157e+308")]
    [InlineData(double.MinValue, "-1.7976931348623157e+308")]
    public void Format_BoundaryValues_FollowEcmaScriptNumberToString(double value, string expected)
    {
        Assert.Equal(expected, Format(value));
    }

    [Fact]
    public void Format_NegativeZero_IsZero()
    {
        Assert.Equal("0", Format(-0.0));
    }

    private static string Format(double value) => EcmaScriptNumber.Format(value);
}
