using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

public sealed class KeySourceTests
{
    [Theory]
    [InlineData("detail.event_id")]
    [InlineData("eventbridge-id")]
    [InlineData("detail.metadata.CorrelationId+detail.eventBody.id")]
    [InlineData("resources.0")]
    public void Parse_ValidText_KeepsTheTextAsName(string text)
    {
        Assert.Equal(text, KeySource.Parse(text).Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t")]
    public void Parse_BlankText_ThrowsArgumentException(string text)
    {
        Assert.Throws<ArgumentException>(() => KeySource.Parse(text));
    }

    [Fact]
    public void Parse_Null_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => KeySource.Parse(null!));
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData("a+")]
    [InlineData("a.b+c.")]
    public void Parse_MalformedPath_ThrowsArgumentException(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => KeySource.Parse(text));

        Assert.Equal("text", ex.ParamName);
    }

    [Theory]
    [InlineData("{\"id\":\"abc\"}", "abc")]
    [InlineData("{\"id\":12}", "12")]
    [InlineData("{\"id\":-1.5e3}", "-1.5e3")]
    [InlineData("{\"id\":\"\"}", null)]
    [InlineData("{\"id\":null}", null)]
    [InlineData("{\"id\":false}", null)]
    [InlineData("{\"ID\":\"abc\"}", null)]
    public void Resolve_EventBridgeId_YieldsTheEnvelopeIdWhenAStringOrNumber(string json, string? expected)
    {
        using var dedupEvent = TestJson.Event(json);

        Assert.Equal(expected, KeySource.Parse("eventbridge-id").Find(dedupEvent.Root));
    }

    [Fact]
    public void Resolve_Composite_JoinsWithBarOnlyWhenEveryPartYields()
    {
        using var complete = TestJson.Event("{\"a\":\"x\",\"b\":{\"c\":[\"y\",7]}}");
        using var partial = TestJson.Event("{\"a\":\"x\",\"b\":{\"c\":[\"y\"]}}");
        var source = KeySource.Parse("a+b.c.0+b.c.1");

        Assert.Equal("x|y|7", source.Find(complete.Root));
        Assert.Null(source.Find(partial.Root));
    }

    [Fact]
    public void Resolve_CompositeValuesHoldingTheSeparator_NeverCollide()
    {
        var source = KeySource.Parse("detail.a+detail.b");
        using var left = TestJson.Event("""{"detail":{"a":"x|y","b":"z"}}""");
        using var right = TestJson.Event("""{"detail":{"a":"x","b":"y|z"}}""");
        using var slashes = TestJson.Event("""{"detail":{"a":"x\\","b":"|z"}}""");

        var keys = new[] { source.Find(left.Root), source.Find(right.Root), source.Find(slashes.Root) };

        Assert.Equal(@"x\|y|z", keys[0]);
        Assert.Equal(@"x|y\|z", keys[1]);
        Assert.Equal(3, keys.Distinct().Count());
    }
}
