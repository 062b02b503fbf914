using System.Net;
using System.Net.Http.Headers;
using GenesysDedup.AspNetCore;
using Microsoft.Extensions.Time.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// Runs alone: the Prometheus exporter listens to every meter named GenesysDedup in the process, so hosts of other
/// tests running at the same time would add to the counts asserted here.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class HealthAndMetricsTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly DedupHostFactory _factory;

    public HealthAndMetricsTests() => _factory = new DedupHostFactory(clock: _clock);

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
        _clock.Advance(DedupStoreHealthCheck.MaxAge);
        var down = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        _factory.Store.Down = false;
        _clock.Advance(DedupStoreHealthCheck.MaxAge);
        var back = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Fact]
    public async Task Ready_HundredProbesWithinOneCheckAge_CostOneStoreCheck_AndANewOneAfterIt()
    {
        var client = _factory.CreateClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => client.GetAsync(new Uri("/health/ready", UriKind.Relative))));
        var checksInOneAge = _factory.Store.ReadyChecks;
        _clock.Advance(DedupStoreHealthCheck.MaxAge);
        await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(1, checksInOneAge);
        Assert.Equal(2, _factory.Store.ReadyChecks);
    }

    [Fact]
    public async Task Ready_StoreGoesDownWithinOneCheckAge_AnswersFromTheLastCheckUntilItAges()
    {
        var client = _factory.CreateClient();
        await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        _factory.Store.Down = true;

        var cached = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        _clock.Advance(DedupStoreHealthCheck.MaxAge);
        var fresh = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, fresh.StatusCode);
    }

    [Theory]
    [InlineData(null, null, HttpStatusCode.Unauthorized)]
    [InlineData("metrics-key-1", null, HttpStatusCode.OK)]
    [InlineData("wrong", null, HttpStatusCode.Unauthorized)]
    [InlineData(null, "true", HttpStatusCode.OK)]
    public async Task Metrics_WithIngestAuthConfigured_NeedsTheCredentialsUnlessPublic(string? presentedKey, string? publicMetrics, HttpStatusCode expected)
    {
        using var factory = new DedupHostFactory(new Dictionary<string, string?>
        {
            ["Http:ApiKey"] = "metrics-key-1",
            ["Http:PublicMetrics"] = publicMetrics,
        });
        var client = factory.CreateClient();
        if (presentedKey is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", presentedKey);
        }

        var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        else
        {
            Assert.Contains("# ", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Metrics_WithBasicConfigured_ChallengesAndAdmitsBasic()
    {
        using var factory = new DedupHostFactory(new Dictionary<string, string?>
        {
            ["Http:BasicUser"] = "scraper",
            ["Http:BasicPassword"] = "s3cret",
        });
        var client = factory.CreateClient();

        var refused = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("scraper:s3cret"u8));
        var admitted = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.StartsWith("Basic", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
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
