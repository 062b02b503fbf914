using System.Diagnostics;

namespace GenesysDedup.Hosts.Lambda.Tests;

public sealed class XRayTraceHeaderTests
{
    [Fact]
    public void Parse_LambdaHeader_IsARemoteParentWithTheJoinedTraceIdAndParentSpan()
    {
        var parent = XRayTraceHeader.Parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");

        Assert.NotNull(parent);
        Assert.Equal("5759e988bd862e3fe1be46a994272793", parent.Value.TraceId.ToHexString());
        Assert.Equal("53995c3f42cd8ad8", parent.Value.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, parent.Value.TraceFlags);
        Assert.True(parent.Value.IsRemote);
    }

    [Theory]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", ActivityTraceFlags.None)]
    [InlineData("Sampled=1; Lineage=a87bd80c:1|68fd508a:5 ;Parent=53995C3F42CD8AD8; Root=1-5759E988-BD862E3FE1BE46A994272793", ActivityTraceFlags.Recorded)]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", ActivityTraceFlags.None)]
    public void Parse_FieldsInAnyOrderAndCase_AreRead(string header, ActivityTraceFlags flags)
    {
        var parent = XRayTraceHeader.Parse(header);

        Assert.Equal("5759e988bd862e3fe1be46a994272793", parent?.TraceId.ToHexString());
        Assert.Equal("53995c3f42cd8ad8", parent?.SpanId.ToHexString());
        Assert.Equal(flags, parent?.TraceFlags);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")] // no parent
    [InlineData("Parent=53995c3f42cd8ad8;Sampled=1")] // no root
    [InlineData("Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8")] // unknown version
    [InlineData("Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8")] // short
    [InlineData("Root=1-5759e988xbd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-5759e98g-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8")] // not hex
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8adz")]
    [InlineData("Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8")] // all-zero ids are invalid in W3C
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000")]
    [InlineData("Root=;Parent=;Sampled=")]
    public void Parse_MissingOrMalformed_IsNoParent(string? header) => Assert.Null(XRayTraceHeader.Parse(header));
}
