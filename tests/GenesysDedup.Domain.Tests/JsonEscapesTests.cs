using System.Text;
using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

public sealed class JsonEscapesTests
{
    [Theory]
    [InlineData("", -1)]
    [InlineData("plain", -1)]
    [InlineData("\\", -1)]
    [InlineData("a\\", -1)]
    [InlineData("\\u", -1)]
    [InlineData("\\ud8", -1)]
    [InlineData("\\u0041", -1)]
    [InlineData("\\n\\t\\\"\\\\\\/", -1)]
    [InlineData("\\\\ud800", -1)]
    [InlineData("\\ud83d\\ude00", -1)]
    [InlineData("x\\uD83D\\uDE00", -1)]
    [InlineData("\\udbff\\udfff\\u0000", -1)]
    [InlineData("\\ud800", 0)]
    [InlineData("ab\\udc00", 2)]
    [InlineData("\\ud83d\\u0041", 0)]
    [InlineData("\\ud83d\\ud83d\\ude00", 0)]
    [InlineData("\\ud83d\\ude00\\ude00", 12)]
    [InlineData("\\ud83d\\", 0)]
    [InlineData("\\ud83d\\ude0", 0)]
    [InlineData("\\\\\\ud800", 2)]
    [InlineData("\\uDFFF", 0)]
    public void IndexOfLoneSurrogate_FindsOnlyUnpairedSurrogateEscapes(string raw, int expected)
    {
        Assert.Equal(expected, JsonEscapes.IndexOfLoneSurrogate(Encoding.UTF8.GetBytes(raw)));
    }
}
