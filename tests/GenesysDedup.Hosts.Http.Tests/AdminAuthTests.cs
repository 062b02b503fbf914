using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// Who may use the operator API, against the built host on real Kestrel with every ingest credential configured
/// (API key, Basic, a real JWT issuer) beside the admin key: only <c>x-admin-key</c> opens <c>/admin/*</c>, and it
/// opens nothing else.
/// </summary>
#pragma warning disable CA1001 // xunit disposes it through IAsyncLifetime.DisposeAsync.
public sealed class AdminAuthTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private const string Audience = "https://dedup.example.com/events";
    private const string BasicUser = "eventbridge";
    private const string BasicPassword = "basic-password-for-tests";

    private JwtIssuer _issuer = null!;
    private RunningHost _host = null!;
    private readonly HttpClient _client = new();

    public async Task InitializeAsync()
    {
        _issuer = await JwtIssuer.StartAsync();
        _host = await RunningHost.StartAsync(new Dictionary<string, string>
        {
            ["Dedup__Store"] = "memory",
            ["Http__ApiKey"] = AdminHostFixture.IngestKey,
            ["Http__BasicUser"] = BasicUser,
            ["Http__BasicPassword"] = BasicPassword,
            ["Http__Jwt__Authority"] = _issuer.Issuer,
            ["Http__Jwt__Audience"] = Audience,
            ["Http__Jwt__RequireHttpsMetadata"] = "false",
            ["Http__AdminApiKey"] = AdminHostFixture.AdminKey,
        });
        _client.BaseAddress = _host.BaseAddress;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task Admin_RightKey_PassesToTheOperation(string method)
    {
        var response = await AdminHostFixture.AdminSendAsync(_client, new HttpMethod(method), "/admin/events/unknown-key", AdminHostFixture.AdminKey);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("no key")]
    [InlineData("wrong key")]
    [InlineData("admin key with one character more")]
    [InlineData("the ingest API key in x-admin-key")]
    [InlineData("two x-admin-key headers")]
    [InlineData("ingest API key")]
    [InlineData("Basic")]
    [InlineData("Bearer JWT")]
    public async Task Admin_WithoutTheAdminKey_Is401(string credential)
    {
        var token = _issuer.CreateToken(Audience);
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Delete })
        {
            var response = await AdminHostFixture.AdminSendAsync(_client, method, "/admin/events/some-key", null, request =>
            {
                var headers = request.Headers;
                switch (credential)
                {
                    case "wrong key":
                        headers.Add("x-admin-key", "not-the-admin-key");
                        break;
                    case "admin key with one character more":
                        headers.Add("x-admin-key", AdminHostFixture.AdminKey + "x");
                        break;
                    case "the ingest API key in x-admin-key":
                        headers.Add("x-admin-key", AdminHostFixture.IngestKey);
                        break;
                    case "two x-admin-key headers":
                        headers.Add("x-admin-key", [AdminHostFixture.AdminKey, AdminHostFixture.AdminKey]);
                        break;
                    case "ingest API key":
                        headers.Add("x-api-key", AdminHostFixture.IngestKey);
                        break;
                    case "Basic":
                        headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{BasicUser}:{BasicPassword}")));
                        break;
                    case "Bearer JWT":
                        headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                        break;
                }
            });

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task IngestCredentials_StillOpenEvents_WhileTheAdminKeyDoesNot()
    {
        // The credentials of the 401 cases above are good ones: each opens /events.
        using var apiKey = EventRequest(r => r.Headers.Add("x-api-key", AdminHostFixture.IngestKey));
        using var basic = EventRequest(r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{BasicUser}:{BasicPassword}"))));
        using var bearer = EventRequest(r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _issuer.CreateToken(Audience)));
        using var adminInHeader = EventRequest(r => r.Headers.Add("x-admin-key", AdminHostFixture.AdminKey));
        using var adminAsApiKey = EventRequest(r => r.Headers.Add("x-api-key", AdminHostFixture.AdminKey));

        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(apiKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(basic)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(bearer)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.SendAsync(adminInHeader)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.SendAsync(adminAsApiKey)).StatusCode);
    }

    [Fact]
    public async Task AdminOtherPath_NeedsTheKeyThenIs404()
    {
        var without = await AdminHostFixture.AdminSendAsync(_client, HttpMethod.Get, "/admin/other", null);
        var with = await AdminHostFixture.AdminSendAsync(_client, HttpMethod.Post, "/admin/other", AdminHostFixture.AdminKey);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, with.StatusCode);
    }

    [Fact]
    public async Task Admin_AdminApiKeyUnset_IsNotThere()
    {
        await using var host = await RunningHost.StartAsync(new Dictionary<string, string> { ["Dedup__Store"] = "memory" });
        using var client = new HttpClient { BaseAddress = host.BaseAddress };

        var get = await AdminHostFixture.AdminSendAsync(client, HttpMethod.Get, "/admin/events/some-key", "anything");
        var delete = await AdminHostFixture.AdminSendAsync(client, HttpMethod.Delete, "/admin/events/some-key", null);

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
    }

    [Fact]
    public async Task Start_AdminApiKeySameAsTheIngestKey_RefusesNamingTheKey()
    {
        var (exitCode, output) = await HostProcess.RunExpectingExitAsync(new Dictionary<string, string>
        {
            ["Dedup__Store"] = "memory",
            ["Http__ApiKey"] = "one-secret-for-both",
            ["Http__AdminApiKey"] = "one-secret-for-both",
        });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Http:AdminApiKey must differ from Http:ApiKey", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_StoreDown_Is503ProblemWithRetryAfter()
    {
        await using var redis = await RedisServer.StartDedicatedAsync();
        var settings = StoreSettings.Redis(redis);
        settings["Http:AdminApiKey"] = AdminHostFixture.AdminKey;
        await using var host = await RunningHost.StartAsync(settings.AsEnvironment().ToDictionary(s => s.Key, s => s.Value ?? string.Empty));
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        await redis.StopAsync();

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Delete })
        {
            var response = await AdminHostFixture.AdminSendAsync(client, method, "/admin/events/some-key", AdminHostFixture.AdminKey);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("store_unavailable", await response.OutcomeAsync());
            Assert.NotNull(response.Headers.RetryAfter?.Delta);
        }
    }

    private static HttpRequestMessage EventRequest(Action<HttpRequestMessage> authenticate)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/events", UriKind.Relative)) { Content = new ByteArrayContent(EventBuilder.UniqueGenesysEvent()) };
        request.Content.Headers.ContentType = HttpTestExtensions.EventBridgeContentType;
        authenticate(request);
        return request;
    }
}
