using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// The operator API of the built host, as a real process on real Kestrel over real HTTP, against each real store
/// (sqlite, memory, redis, dynalite): look-up, removal, a removal while the handler runs, namespaces, and keys that
/// need URL encoding. The handler is <c>http</c>, forwarding to a counting downstream that can hold a delivery open.
/// </summary>
public abstract class AdminApiTests<TFixture>(TFixture host) : IClassFixture<TFixture>
    where TFixture : AdminHostFixture
{
    private static readonly string[] ResponseMembers = ["key", "namespace", "status", "fingerprint", "leaseExpiresAt", "processedAt", "expiresAt"];

    /// <summary>Whether the store keeps the fingerprint's text (the memory store keeps a digest).</summary>
    protected virtual bool KeepsFingerprint => true;

    [Fact]
    public async Task Get_UnknownKey_Is404()
    {
        var response = await host.AdminAsync(HttpMethod.Get, NewKey());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Delete_UnknownKey_Is404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await host.AdminAsync(HttpMethod.Delete, NewKey())).StatusCode);
    }

    [Fact]
    public async Task Get_ProcessedEvent_AnswersItsCompletedRecord()
    {
        var key = NewKey();
        var before = TimeProvider.System.GetUtcNow();
        Assert.Equal("processed", await host.PostEventAsync(key));

        var response = await host.AdminAsync(HttpMethod.Get, key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.JsonAsync();
        Assert.All(body.EnumerateObject(), member => Assert.Contains(member.Name, ResponseMembers));
        Assert.Equal(key, body.GetProperty("key").GetString());
        Assert.Equal(AdminHostFixture.Namespace, body.GetProperty("namespace").GetString());
        Assert.Equal("completed", body.GetProperty("status").GetString());
        Assert.False(body.TryGetProperty("leaseExpiresAt", out _));
        Assert.Equal(KeepsFingerprint, body.TryGetProperty("fingerprint", out var fingerprint));
        if (KeepsFingerprint)
        {
            Assert.StartsWith("sha256:", fingerprint.GetString(), StringComparison.Ordinal);
        }

        var expiresAt = UtcTime(body, "expiresAt");
        Assert.InRange(expiresAt, before + TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1), TimeProvider.System.GetUtcNow() + TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        var processedAt = UtcTime(body, "processedAt");
        Assert.InRange(processedAt, before - TimeSpan.FromSeconds(1), TimeProvider.System.GetUtcNow()); // DynamoDB keeps whole seconds
        Assert.InRange(expiresAt - processedAt, TimeSpan.FromHours(24), TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1)); // the completion's time, as its retention
    }

    [Fact]
    public async Task GetAndDelete_FingerprintKeyedEvent_UseTheKeyThePostAnswered()
    {
        var body = EventBuilder.UniqueGenesysEvent();
        var key = (await host.PostEventAsync(body)).GetProperty("key").GetString()!;

        var found = await host.AdminAsync(HttpMethod.Get, key);
        var removed = await host.AdminAsync(HttpMethod.Delete, key);

        Assert.StartsWith("sha256:", key, StringComparison.Ordinal);
        Assert.Equal("completed", (await found.JsonAsync()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal("processed", (await host.PostEventAsync(EventBuilder.Republish(body))).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Get_EventBeingHandled_IsInProgressWithItsLease()
    {
        var key = NewKey();
        var (held, post) = await host.PostAndHoldAsync(key);

        var response = await host.AdminAsync(HttpMethod.Get, key);
        held.Release();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("in_progress", body.GetProperty("status").GetString());
        Assert.InRange(UtcTime(body, "leaseExpiresAt"), TimeProvider.System.GetUtcNow(), TimeProvider.System.GetUtcNow() + TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.False(body.TryGetProperty("processedAt", out _));
        Assert.Equal("processed", await post);
    }

    [Fact]
    public async Task Delete_ProcessedEvent_Is204AndTheNextDeliveryIsProcessedAgain()
    {
        var key = NewKey();
        await host.PostEventAsync(key);
        Assert.Equal("duplicate", await host.PostEventAsync(key));

        var removed = await host.AdminAsync(HttpMethod.Delete, key);

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.AdminAsync(HttpMethod.Get, key)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.AdminAsync(HttpMethod.Delete, key)).StatusCode);
        Assert.Equal("processed", await host.PostEventAsync(key));
        Assert.Equal(2, host.Downstream.DeliveriesOf(key).Count);
    }

    [Fact]
    public async Task Delete_WhileTheHandlerRuns_ItsCompletionIsWrittenAndARedeliveryIsADuplicate()
    {
        var key = NewKey();
        var (held, post) = await host.PostAndHoldAsync(key);

        var removed = await host.AdminAsync(HttpMethod.Delete, key);
        var duringRun = await host.AdminAsync(HttpMethod.Get, key);
        held.Release();

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, duringRun.StatusCode);
        Assert.Equal("processed", await post);
        Assert.Equal("completed", (await (await host.AdminAsync(HttpMethod.Get, key)).JsonAsync()).GetProperty("status").GetString());
        Assert.Equal("duplicate", await host.PostEventAsync(key));
        Assert.Single(host.Downstream.DeliveriesOf(key));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a%2Fb")]
    [InlineData("100%")]
    [InlineData("with space")]
    [InlineData("naïve-日本-😀")]
    [InlineData("q?x=1&y#z+plus")]
    [InlineData("/leading//double/")]
    public async Task GetAndDelete_KeyThatNeedsEncoding_RoundTrips(string suffix)
    {
        var key = $"{NewKey()}:{suffix}";
        await host.PostEventAsync(key);

        var found = await host.AdminAsync(HttpMethod.Get, key);
        var removed = await host.AdminAsync(HttpMethod.Delete, key);

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal(key, (await found.JsonAsync()).GetProperty("key").GetString());
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.AdminAsync(HttpMethod.Get, key)).StatusCode);
    }

    [Fact]
    public async Task Get_EncodedSlashAndEncodedPercentSlash_AreTwoKeys()
    {
        // Kestrel's decoded path keeps %2F but decodes %25, so both would read "a%2Fb" there.
        var prefix = NewKey();
        await host.PostEventAsync($"{prefix}a/b");

        Assert.Equal(HttpStatusCode.OK, (await host.AdminAsync(HttpMethod.Get, $"{prefix}a/b")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.AdminAsync(HttpMethod.Get, $"{prefix}a%2Fb")).StatusCode);
    }

    [Fact]
    public async Task Get_NamespaceQuery_LooksInThatNamespaceOnly()
    {
        var key = NewKey();
        await host.PostEventAsync(key);

        Assert.Equal(HttpStatusCode.OK, (await host.AdminAsync(HttpMethod.Get, key, $"?namespace={AdminHostFixture.Namespace}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.AdminAsync(HttpMethod.Get, key, "?namespace=other")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.AdminAsync(HttpMethod.Get, key, "?namespace=")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.AdminAsync(HttpMethod.Delete, key, "?namespace=other")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.AdminAsync(HttpMethod.Get, key)).StatusCode);
    }

    [Fact]
    public async Task GetAndDelete_NamespaceItCannotBe_Is400()
    {
        var response = await host.AdminAsync(HttpMethod.Get, NewKey(), "?namespace=a%3Ab");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Dedup:Namespace", (await response.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.AdminAsync(HttpMethod.Delete, NewKey(), "?namespace=a%3Ab")).StatusCode);
    }

    private static string NewKey() => $"admin-{Guid.NewGuid():N}";

    private static DateTimeOffset UtcTime(JsonElement body, string member)
    {
        var text = body.GetProperty(member).GetString()!;
        Assert.EndsWith("Z", text, StringComparison.Ordinal);
        return DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed class SqliteAdminApiTests(SqliteAdminHost host) : AdminApiTests<SqliteAdminHost>(host);

public sealed class MemoryAdminApiTests(MemoryAdminHost host) : AdminApiTests<MemoryAdminHost>(host)
{
    protected override bool KeepsFingerprint => false;
}

public sealed class RedisAdminApiTests(RedisAdminHost host) : AdminApiTests<RedisAdminHost>(host);

public sealed class DynamoDbAdminApiTests(DynamoDbAdminHost host) : AdminApiTests<DynamoDbAdminHost>(host);

/// <summary>
/// One built host per store for a test class, with an ingest API key and an admin key, namespace
/// <see cref="Namespace"/>, and the <c>http</c> handler forwarding to <see cref="Downstream"/>.
/// </summary>
#pragma warning disable CA1001 // xunit disposes it through IAsyncLifetime.DisposeAsync.
public abstract class AdminHostFixture : IAsyncLifetime
#pragma warning restore CA1001
{
    public const string AdminKey = "admin-key-for-tests-0123456789";
    public const string IngestKey = "ingest-key-for-tests-0123456789";
    public const string Namespace = "crm";

    private RunningHost? _host;
    private CountingDownstream? _downstream;

    public CountingDownstream Downstream => _downstream ?? throw new InvalidOperationException("not initialised");

    public HttpClient Client { get; } = new();

    protected abstract Task<Dictionary<string, string?>> StoreSettingsAsync();

    public async Task InitializeAsync()
    {
        _downstream = await CountingDownstream.StartAsync();
        var settings = await StoreSettingsAsync();
        settings["Dedup:Namespace"] = Namespace;
        settings["Handler:Kind"] = "http";
        settings["Handler:Http:Url"] = Downstream.Url.AbsoluteUri;
        settings["Http:ApiKey"] = IngestKey;
        settings["Http:AdminApiKey"] = AdminKey;
        _host = await RunningHost.StartAsync(settings.AsEnvironment().ToDictionary(s => s.Key, s => s.Value ?? string.Empty));
        Client.BaseAddress = _host.BaseAddress;
    }

    /// <summary>Posts the tutorial-shaped event keyed <paramref name="key"/> with the ingest key; returns its outcome.</summary>
    public async Task<string> PostEventAsync(string key) => (await PostEventAsync(EventBuilder.Tutorial(key))).GetProperty("outcome").GetString()!;

    /// <summary>Posts the event keyed <paramref name="key"/> and returns once its handler runs, held by the downstream until released.</summary>
    public async Task<(HeldDelivery Held, Task<string> Post)> PostAndHoldAsync(string key)
    {
        var held = Downstream.HoldNext(key);
        var post = PostEventAsync(key);
        await held.Arrived;
        return (held, post);
    }

    /// <summary>Posts <paramref name="body"/> with the ingest key; returns the answer's body.</summary>
    public async Task<JsonElement> PostEventAsync(byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/events", UriKind.Relative)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = HttpTestExtensions.EventBridgeContentType;
        request.Headers.Add("x-api-key", IngestKey);
        using var response = await Client.SendAsync(request);
        return await response.JsonAsync();
    }

    /// <summary>Sends <paramref name="method"/> to <c>/admin/events/{key}</c>, the key URL-encoded, with the admin key.</summary>
    public Task<HttpResponseMessage> AdminAsync(HttpMethod method, string key, string query = "") =>
        AdminSendAsync(Client, method, $"/admin/events/{Uri.EscapeDataString(key)}{query}", AdminKey);

    public static async Task<HttpResponseMessage> AdminSendAsync(HttpClient client, HttpMethod method, string path, string? adminKey, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (adminKey is not null)
        {
            request.Headers.Add("x-admin-key", adminKey);
        }

        configure?.Invoke(request);
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_downstream is not null)
        {
            await _downstream.DisposeAsync();
        }
    }
}

public sealed class SqliteAdminHost : AdminHostFixture
{
    // No Dedup:Store: the host's default, on a file of its own.
    protected override Task<Dictionary<string, string?>> StoreSettingsAsync() => Task.FromResult(new Dictionary<string, string?>());
}

public sealed class MemoryAdminHost : AdminHostFixture
{
    protected override Task<Dictionary<string, string?>> StoreSettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Dedup:Store"] = "memory" });
}

public sealed class RedisAdminHost : AdminHostFixture
{
    protected override async Task<Dictionary<string, string?>> StoreSettingsAsync() =>
        StoreSettings.Redis(await RedisServer.GetSharedAsync(), $"admin-test-{Guid.NewGuid():N}:");
}

public sealed class DynamoDbAdminHost : AdminHostFixture
{
    protected override Task<Dictionary<string, string?>> StoreSettingsAsync() =>
        Task.FromResult(StoreSettings.DynamoDb(DynaliteServer.Shared.ServiceUrl, $"admin-test-{Guid.NewGuid():N}"));
}
