using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

public sealed class LogTextTests
{
    [Theory]
    [InlineData("evt-0001", "evt-0001")]
    [InlineData("sha256:9c1e", "sha256:9c1e")]
    [InlineData("Größe 日本 😀 a\\b", "Größe 日本 😀 a\\b")]
    [InlineData("a\nb", @"a\u000Ab")]
    [InlineData("\r\n\t", @"\u000D\u000A\u0009")]
    [InlineData("\u001b[8mhidden\u0007", @"\u001B[8mhidden\u0007")]
    [InlineData("del\u007f c1\u0085\u009b", @"del\u007F c1\u0085\u009B")]
    [InlineData("line\u2028para\u2029", @"line\u2028para\u2029")]
    [InlineData("", "")]
    public void ToString_EscapesControlCharactersAndLineSeparatorsOnly(string value, string expected)
    {
        Assert.Equal(expected, new LogText(value).ToString());
    }

    [Fact]
    public void ToString_Null_IsWrittenAsTheLoggerWritesNull()
    {
        Assert.Equal("(null)", new LogText(null).ToString());
    }

    [Fact]
    public void ToString_EveryCharacter_ComesOutWithoutAnyControlCharacter()
    {
        var all = string.Concat(Enumerable.Range(0, 0x3000).Select(c => (char)c).Where(c => !char.IsSurrogate(c)));

        var written = new LogText(all).ToString();

        Assert.DoesNotContain(written, c => char.IsControl(c) || c is '\u2028' or '\u2029');
    }
}
