using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

public sealed class DedupKeyTests
{
    [Fact]
    public void StoredForm_EmptyNamespace_StillWritesTheSeparators()
    {
        var key = new DedupKey("evt-0001", "sha256:ab", "detail.event_id");

        Assert.Equal(":detail.event_id:evt-0001", key.StoredForm(string.Empty));
        Assert.Equal("evt-0001", key.ToString());
    }

    [Fact]
    public void StoredForm_Namespace_LeadsSoConsumersDoNotCollide()
    {
        var key = new DedupKey("evt-0001", "sha256:ab", "detail.event_id");

        Assert.Equal("crm:detail.event_id:evt-0001", key.StoredForm("crm"));
        Assert.NotEqual(key.StoredForm("crm"), key.StoredForm("billing"));
    }

    [Fact]
    public void StoredForm_EmptyNamespacesKeyWithAColon_DiffersFromThatNamespacesKey()
    {
        var inEmpty = new DedupKey("a:order-42", "sha256:ab", "detail.event_id");
        var inA = new DedupKey("order-42", "sha256:ab", "detail.event_id");

        Assert.NotEqual(inEmpty.StoredForm(string.Empty), inA.StoredForm("a"));
    }

    [Fact]
    public void StoredForm_PathValueShapedLikeAFingerprint_DiffersFromTheFingerprintKey()
    {
        const string Fingerprint = "sha256:9c1e0000000000000000000000000000000000000000000000000000000000ff";
        var real = new DedupKey(Fingerprint, Fingerprint, KeySource.Fingerprint);
        var forged = new DedupKey(Fingerprint, "sha256:other", "detail.event_id");

        Assert.NotEqual(real.StoredForm("crm"), forged.StoredForm("crm"));
    }

    [Fact]
    public void StoredForm_LongPathValue_IsHashedButStaysApartFromFingerprints()
    {
        var resolver = KeyResolver.FromNames(["detail.event_id"]);
        using var parsed = EventParser.Parse(System.Text.Encoding.UTF8.GetBytes(
            $"{{\"detail\":{{\"event_id\":\"{new string('x', KeyResolver.MaxKeyLength + 1)}\"}}}}")).Event!;

        var key = resolver.Resolve(parsed).Key!.Value;

        Assert.StartsWith("sha256:", key.Value);
        Assert.StartsWith(":detail.event_id:sha256:", key.StoredForm(string.Empty));
    }

    [Theory]
    [InlineData("detail.a:b")]
    [InlineData("detail.x+detail.y:z")]
    public void FromNames_SourceNameWithTheSeparator_IsRefused(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => KeyResolver.FromNames([name]));

        Assert.Contains("':'", error.Message);
    }
}
