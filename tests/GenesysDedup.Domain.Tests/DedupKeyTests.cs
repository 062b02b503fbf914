using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

public sealed class DedupKeyTests
{
    [Fact]
    public void Scoped_EmptyNamespace_IsTheValue()
    {
        var key = new DedupKey("evt-0001", "sha256:ab", "detail.event_id");

        Assert.Equal("evt-0001", key.Scoped(string.Empty));
        Assert.Equal("evt-0001", key.ToString());
    }

    [Fact]
    public void Scoped_Namespace_PrefixesWithColonSoConsumersDoNotCollide()
    {
        var key = new DedupKey("evt-0001", "sha256:ab", "detail.event_id");

        Assert.Equal("crm:evt-0001", key.Scoped("crm"));
        Assert.NotEqual(key.Scoped("crm"), key.Scoped("billing"));
    }
}
