using System.Net;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// The host's essential cases with each store chosen by configuration alone (<c>Dedup:Store</c>),
/// against a real server: processed, duplicate, a 16-way race, and a failed handler then its retry.
/// </summary>
#pragma warning disable CA1001 // xunit disposes it through IAsyncLifetime.DisposeAsync.
public abstract class StoreBackedHostTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private DedupHostFactory? _factory;

    private DedupHostFactory Factory => _factory ?? throw new InvalidOperationException("not initialised");

    protected abstract Task<IDictionary<string, string?>> StoreSettingsAsync();

    public async Task InitializeAsync() => _factory = new DedupHostFactory(await StoreSettingsAsync());

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    [Fact]
    public async Task Post_NewThenRepublished_IsProcessedThenDuplicate()
    {
        var client = Factory.CreateClient();
        var body = EventBuilder.UniqueGenesysEvent();

        var first = await client.PostEventAsync(body);
        var again = await client.PostEventAsync(EventBuilder.Republish(body));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("processed", await first.OutcomeAsync());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("duplicate", await again.OutcomeAsync());
        Assert.Equal(1, Factory.Handler.TotalRuns);
    }

    [Fact]
    public async Task Post_SixteenParallelCopies_RunTheHandlerOnce()
    {
        var client = Factory.CreateClient();
        var body = EventBuilder.UniqueGenesysEvent();

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            client.PostEventAsync(i % 2 == 0 ? body : EventBuilder.Republish(body))));
        var outcomes = await Task.WhenAll(responses.Select(r => r.OutcomeAsync()));

        Assert.True(Factory.Handler.TotalRuns == 1, string.Join(", ", outcomes));
        Assert.Single(outcomes, o => o == "processed");
        for (var i = 0; i < responses.Length; i++)
        {
            Assert.True(
                (responses[i].StatusCode == HttpStatusCode.OK && outcomes[i] is "processed" or "duplicate")
                || ((int)responses[i].StatusCode == 429 && outcomes[i] == "in_progress"),
                $"unexpected {(int)responses[i].StatusCode} {outcomes[i]}");
        }
    }

    [Fact]
    public async Task Post_HandlerFails_Is500AndTheRetryIsProcessed()
    {
        var client = Factory.CreateClient();
        var eventId = $"evt-{Guid.NewGuid():N}";
        var body = EventBuilder.Tutorial(eventId);
        Factory.Handler.FailNext(eventId);

        var failed = await client.PostEventAsync(body);
        var retried = await client.PostEventAsync(body);
        var duplicate = await client.PostEventAsync(body);

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("processed", await retried.OutcomeAsync());
        Assert.Equal("duplicate", await duplicate.OutcomeAsync());
        Assert.Equal(2, Factory.Handler.RunsOf(eventId));
    }

    [Fact]
    public async Task Ready_WithTheStoreUp_Is200()
    {
        var response = await Factory.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

public sealed class SqliteDefaultHostTests : StoreBackedHostTests
{
    // No Dedup:Store: the host's default, on a file the factory gives each test.
    protected override Task<IDictionary<string, string?>> StoreSettingsAsync() =>
        Task.FromResult<IDictionary<string, string?>>(new Dictionary<string, string?>());
}

public sealed class MemoryHostTests : StoreBackedHostTests
{
    protected override Task<IDictionary<string, string?>> StoreSettingsAsync() =>
        Task.FromResult<IDictionary<string, string?>>(new Dictionary<string, string?> { ["Dedup:Store"] = "memory" });
}

public sealed class RedisHostTests : StoreBackedHostTests
{
    protected override async Task<IDictionary<string, string?>> StoreSettingsAsync() =>
        StoreSettings.Redis(await RedisServer.GetSharedAsync(), $"host-test-{Guid.NewGuid():N}:");
}

public sealed class DynamoDbHostTests : StoreBackedHostTests
{
    protected override Task<IDictionary<string, string?>> StoreSettingsAsync() =>
        Task.FromResult<IDictionary<string, string?>>(StoreSettings.DynamoDb(DynaliteServer.Shared.ServiceUrl, $"host-test-{Guid.NewGuid():N}"));
}
