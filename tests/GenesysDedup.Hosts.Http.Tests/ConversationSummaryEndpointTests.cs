using System.Net;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// The v2.users.{id}.conversationsummary pair through the HTTP host: two real events with one topicName and one
/// eventBody are two <c>processed</c> with the default key sources, and one event with <c>eventbody-fingerprint</c>.
/// </summary>
public sealed class ConversationSummaryEndpointTests
{
    [Fact]
    public async Task Post_ConversationSummaryPairToTheBuiltHost_BothProcessedAndTheirRepublishesDuplicate()
    {
        // The built host as a process on real Kestrel, defaults only, in a fresh directory so no earlier run's
        // records are found.
        await using var host = await RunningHost.StartAsync(freshDirectory: true);
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        var callA = Samples.Bytes(Samples.ConversationSummaryCallA);
        var callB = Samples.Bytes(Samples.ConversationSummaryCallB);

        var a = await (await client.PostEventAsync(callA)).JsonAsync();
        var b = await (await client.PostEventAsync(callB)).JsonAsync();
        var aAgain = await (await client.PostEventAsync(EventBuilder.Replay(callA))).JsonAsync();
        var bAgain = await (await client.PostEventAsync(EventBuilder.Replay(callB))).JsonAsync();

        Assert.Equal("processed", a.GetProperty("outcome").GetString());
        Assert.Equal("processed", b.GetProperty("outcome").GetString());
        Assert.NotEqual(a.GetProperty("key").GetString(), b.GetProperty("key").GetString());
        Assert.Equal("duplicate", aAgain.GetProperty("outcome").GetString());
        Assert.Equal(a.GetProperty("key").GetString(), aAgain.GetProperty("key").GetString());
        Assert.Equal("duplicate", bAgain.GetProperty("outcome").GetString());
        Assert.Equal(b.GetProperty("key").GetString(), bAgain.GetProperty("key").GetString());
    }

    [Fact]
    public async Task Post_ConversationSummaryPairWithEventBodyFingerprint_SecondIsDuplicate()
    {
        await using var factory = new DedupHostFactory(new Dictionary<string, string?>
        {
            ["Dedup:KeySources:0"] = "eventbody-fingerprint",
            ["Dedup:KeySources:1"] = "fingerprint",
        });
        var client = factory.CreateClient();

        var a = await client.PostEventAsync(Samples.Bytes(Samples.ConversationSummaryCallA));
        var b = await client.PostEventAsync(Samples.Bytes(Samples.ConversationSummaryCallB));

        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal("processed", await a.OutcomeAsync());
        Assert.Equal("duplicate", await b.OutcomeAsync());
        Assert.Equal(1, factory.Handler.TotalRuns);
    }
}
