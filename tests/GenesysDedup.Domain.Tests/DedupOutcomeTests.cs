using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

public sealed class DedupOutcomeTests
{
    [Theory]
    [InlineData(DedupOutcome.Processed, "processed", true)]
    [InlineData(DedupOutcome.Duplicate, "duplicate", true)]
    [InlineData(DedupOutcome.InProgress, "in_progress", false)]
    [InlineData(DedupOutcome.Conflict, "conflict", false)]
    [InlineData(DedupOutcome.Failed, "failed", false)]
    [InlineData(DedupOutcome.StoreUnavailable, "store_unavailable", false)]
    [InlineData(DedupOutcome.Invalid, "invalid", false)]
    public void ToWireName_EveryOutcome_IsTheSpecName(DedupOutcome outcome, string wireName, bool acknowledged)
    {
        Assert.Equal(wireName, outcome.ToWireName());
        Assert.Equal(acknowledged, outcome.IsAcknowledged());
    }

    [Fact]
    public void ToWireName_EveryDefinedOutcome_HasADistinctName()
    {
        var names = Enum.GetValues<DedupOutcome>().Select(o => o.ToWireName()).ToList();

        Assert.Equal(7, names.Count);
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void ToWireName_UndefinedValue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((DedupOutcome)99).ToWireName());
    }
}
