using System.Net;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// A re-publish that arrives while its original is in its handler waits for it (<c>Dedup:InProgressWait</c>), through
/// the real host on its default store, on the real clock: the original finishes on a signal, never on a timer.
/// </summary>
public sealed class InProgressWaitTests
{
    [Fact]
    public async Task Post_RepublishWhileTheOriginalRuns_Is200DuplicateOnceItCompletes()
    {
        // A wait far longer than the test needs: the answer comes when the original completes, not when the wait ends.
        using var factory = new DedupHostFactory(new Dictionary<string, string?> { ["Dedup:InProgressWait"] = "00:00:30", ["Dedup:StoreTimeout"] = "00:00:30" });
        var client = factory.CreateClient();
        var body = EventBuilder.UniqueGenesysEvent();
        factory.Handler.CloseGate();
        var original = client.PostEventAsync(body);
        await factory.Handler.WaitForArrivalAsync();

        var republish = client.PostEventAsync(EventBuilder.Republish(body));
        await factory.Store.FirstFind; // it found the original in progress and is re-reading its record
        factory.Handler.OpenGate();
        var response = await republish;

        Assert.Equal(HttpStatusCode.OK, (await original).StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("duplicate", await response.OutcomeAsync());
        Assert.Equal(1, factory.Handler.TotalRuns);
    }

    [Fact]
    public async Task Post_RepublishWhileTheOriginalOutlastsTheWait_Is429InProgress()
    {
        using var factory = new DedupHostFactory(new Dictionary<string, string?> { ["Dedup:InProgressWait"] = "00:00:00.300" });
        var client = factory.CreateClient();
        var body = EventBuilder.UniqueGenesysEvent();
        factory.Handler.CloseGate();
        var original = client.PostEventAsync(body);
        await factory.Handler.WaitForArrivalAsync();

        var response = await client.PostEventAsync(EventBuilder.Republish(body));
        factory.Handler.OpenGate();

        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal("in_progress", await response.OutcomeAsync());
        Assert.True(factory.Store.FirstFind.IsCompleted, "the re-publish waited and re-read the record before answering");
        Assert.Equal(HttpStatusCode.OK, (await original).StatusCode);
        Assert.Equal(1, factory.Handler.TotalRuns);
    }
}
