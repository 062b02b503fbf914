using System.Net;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// Runs alone: the Prometheus exporter listens to every meter named GenesysDedup in the process, so hosts of other
/// tests running at the same time would add to the counts asserted here.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class HealthAndMetricsTests : IDisposable
{
    private readonly DedupHostFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Live_ProcessUp_Is200EvenWhenTheStoreIsDown()
    {
        var client = _factory.CreateClient();
        _factory.Store.Down = true;

        var response = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ready_FollowsTheStore()
    {
        var client = _factory.CreateClient();

        var up = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        _factory.Store.Down = true;
        var down = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        _factory.Store.Down = false;
        var back = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Fact]
    public async Task Metrics_AfterEvents_CountOutcomesAndLatencies()
    {
        var client = _factory.CreateClient();
        var body = Testing.EventBuilder.UniqueGenesysEvent();
        await client.PostEventAsync(body);
        await client.PostEventAsync(body);
        await client.PostEventAsync("nope"u8.ToArray());

        var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Matches("genesys_dedup_events_total\\{[^}]*outcome=\"processed\"[^}]*\\} 1", text);
        Assert.Matches("genesys_dedup_events_total\\{[^}]*outcome=\"duplicate\"[^}]*\\} 1", text);
        Assert.Matches("genesys_dedup_events_total\\{[^}]*outcome=\"invalid\"[^}]*\\} 1", text);
        Assert.Contains("genesys_dedup_store_duration_seconds_bucket", text);
        Assert.Contains("genesys_dedup_handler_duration_seconds_bucket", text);
    }
}

[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;
