using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

public sealed class AuthTests
{
    [Fact]
    public async Task Post_ApiKeyConfigured_RequiresTheHeader()
    {
        await using var factory = new DedupHostFactory(new Dictionary<string, string?> { ["Http:ApiKey"] = "s3cret-key" });
        var client = factory.CreateClient();

        var missing = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        client.DefaultRequestHeaders.Add("x-api-key", "wrong");
        var wrong = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        client.DefaultRequestHeaders.Remove("x-api-key");
        client.DefaultRequestHeaders.Add("x-api-key", "s3cret-key");
        var right = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Empty(wrong.Headers.WwwAuthenticate);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(1, factory.Handler.TotalRuns);
    }

    [Fact]
    public async Task Post_CustomApiKeyHeader_IsTheOneChecked()
    {
        await using var factory = new DedupHostFactory(new Dictionary<string, string?>
        {
            ["Http:ApiKey"] = "k1",
            ["Http:ApiKeyHeader"] = "X-Genesys-Key",
        });
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", "k1");
        var defaultHeader = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        client.DefaultRequestHeaders.Add("X-Genesys-Key", "k1");

        var custom = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.Unauthorized, defaultHeader.StatusCode);
        Assert.Equal(HttpStatusCode.OK, custom.StatusCode);
    }

    [Fact]
    public async Task Post_BasicConfigured_ChallengesAndAcceptsTheRightPair()
    {
        await using var factory = new DedupHostFactory(new Dictionary<string, string?>
        {
            ["Http:BasicUser"] = "eventbridge",
            ["Http:BasicPassword"] = "pa:ss",
        });
        var client = factory.CreateClient();

        var missing = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        client.DefaultRequestHeaders.Authorization = Basic("eventbridge", "nope");
        var wrong = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "!!not-base64!!");
        var garbage = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        client.DefaultRequestHeaders.Authorization = Basic("eventbridge", "pa:ss");
        var right = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains(missing.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }

    [Fact]
    public async Task Post_BasicCredentialsOf512CharactersEach_AreAccepted()
    {
        // 512 code points each, as EventBridge allows: 2-, 3- and 4-byte UTF-8 characters (the emoji are 2 UTF-16 units).
        var user = new string('é', 511) + "日";
        var password = string.Concat(Enumerable.Repeat("😀", 256)) + new string('p', 256);
        await using var factory = new DedupHostFactory(new Dictionary<string, string?>
        {
            ["Http:BasicUser"] = user,
            ["Http:BasicPassword"] = password,
        });
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic(user, password[..^1]);
        var wrong = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        client.DefaultRequestHeaders.Authorization = Basic(user, password);

        var right = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(1, factory.Handler.TotalRuns);
    }

    [Theory]
    [InlineData(5_000)]
    [InlineData(1024 * 1024)]
    public async Task Post_OverlongBasicCredentials_Is401(int length)
    {
        await using var factory = new DedupHostFactory(new Dictionary<string, string?>
        {
            ["Http:BasicUser"] = "eventbridge",
            ["Http:BasicPassword"] = "secret",
        });
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("eventbridge", new string('x', length));

        var response = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
    }

    [Theory]
    [InlineData("Http__BasicUser")]
    [InlineData("Http__BasicPassword")]
    public async Task Start_BasicCredentialOver512Characters_FailsNamingTheKey(string variable)
    {
        var environment = new Dictionary<string, string> { ["Http__BasicUser"] = "u", ["Http__BasicPassword"] = "p" };
        environment[variable] = new string('é', 513);

        var (exitCode, output) = await HostProcess.RunExpectingExitAsync(environment);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{variable.Replace("__", ":", StringComparison.Ordinal)} must be at most 512 characters", output);
    }

    [Fact]
    public async Task Health_WithAuthConfigured_StaysOpen()
    {
        await using var factory = new DedupHostFactory(new Dictionary<string, string?> { ["Http:ApiKey"] = "k" });
        var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("ASPNETCORE_URLS", "http://0.0.0.0:0")]
    [InlineData("ASPNETCORE_URLS", "http://127.0.0.1:0;http://+:0")]
    [InlineData("ASPNETCORE_URLS", "http://[::]:0")]
    [InlineData("ASPNETCORE_HTTP_PORTS", "0")]
    [InlineData("Kestrel__Endpoints__Public__Url", "http://*:0")]
    public async Task Start_BeyondLoopbackWithoutAuth_IsRefused(string variable, string value)
    {
        var (exitCode, output) = await HostProcess.RunExpectingExitAsync(new Dictionary<string, string> { [variable] = value });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Refusing to listen", output);
        Assert.Contains("Http:AllowAnonymous", output);
    }

    [Fact]
    public async Task Start_UrlsArgumentBeyondLoopbackWithoutAuth_IsRefused()
    {
        var (exitCode, output) = await HostProcess.RunExpectingExitAsync(new Dictionary<string, string>(), "--urls", "http://10.1.2.3:0");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Refusing to listen on http://10.1.2.3:0", output);
    }

    [Theory]
    [InlineData("Http:AllowAnonymous", "true")]
    [InlineData("Http:ApiKey", "k")]
    public async Task Start_BeyondLoopbackWithAuthOrOptIn_Starts(string key, string value)
    {
        await using var factory = new DedupHostFactory(new Dictionary<string, string?> { ["urls"] = "http://0.0.0.0:8080", [key] = value });

        var response = await factory.CreateClient().GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Start_LoopbackUrlsOverrideContainerHttpPorts_Starts()
    {
        // The official ASP.NET images set ASPNETCORE_HTTP_PORTS=8080; ASPNETCORE_URLS replaces it.
        await using var factory = new DedupHostFactory(new Dictionary<string, string?>
        {
            ["http_ports"] = "8080",
            ["urls"] = "http://127.0.0.1:5000",
        });

        var response = await factory.CreateClient().GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("http://localhost:5000")]
    [InlineData("http://127.0.0.1:5000;http://[::1]:5001")]
    public async Task Start_OnLoopbackWithoutAuth_Starts(string urls)
    {
        await using var factory = new DedupHostFactory(new Dictionary<string, string?> { ["urls"] = urls });

        var response = await factory.CreateClient().PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("Http__MaxBodyBytes", "0", "Http:MaxBodyBytes")]
    [InlineData("Http__BasicUser", "only-user", "Http:BasicPassword")]
    [InlineData("Http__Jwt__Authority", "https://login.example.com/", "Http:Jwt:Audience")]
    [InlineData("Http__Jwt__Audience", "https://dedup.example.com/events", "Http:Jwt:Authority")]
    [InlineData("Http__Jwt__Authority", "login.example.com", "Http:Jwt:Authority must be an absolute")]
    [InlineData("Http__Jwt__Authority", "http://127.0.0.1:8443/", "Http:Jwt:RequireHttpsMetadata")]
    [InlineData("Dedup__Store", "postgres", "Dedup:Store")]
    [InlineData("Handler__Kind", "email", "Handler:Kind")]
    [InlineData("Dedup__Lease", "not-a-timespan", "Dedup:Lease")]
    [InlineData("Dedup__KeySources__0", "detail..x", "Dedup:KeySources")]
    [InlineData("Dedup__Sqlite__Synchronous", "sometimes", "Dedup:Sqlite:Synchronous")]
    [InlineData("Dedup__Sqlite__Path", " ", "Dedup:Sqlite:Path")]
    public async Task Start_BadConfiguration_FailsNamingTheKey(string variable, string value, string named)
    {
        var (exitCode, output) = await HostProcess.RunExpectingExitAsync(new Dictionary<string, string> { [variable] = value });

        Assert.NotEqual(0, exitCode);
        Assert.Contains(named, output);
    }

    [Fact]
    public async Task Start_MemoryStoreBoundBelowOne_FailsNamingTheKey()
    {
        var (exitCode, output) = await HostProcess.RunExpectingExitAsync(new Dictionary<string, string> { ["Dedup__Store"] = "memory", ["Dedup__Memory__MaxEntries"] = "0" });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Dedup:Memory:MaxEntries", output);
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

}
