using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>OAuth client-credentials connections: Bearer JWTs from a real local issuer, checked by the real host.</summary>
public sealed class JwtAuthTests : IAsyncLifetime
{
    private const string Audience = "https://dedup.example.com/events";
    private JwtIssuer _issuer = null!;

    public async Task InitializeAsync() => _issuer = await JwtIssuer.StartAsync();

    public async Task DisposeAsync() => await _issuer.DisposeAsync();

    [Fact]
    public async Task Post_ValidBearerToken_IsProcessed()
    {
        await using var factory = JwtHost();
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _issuer.CreateToken(Audience));

        var response = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, factory.Handler.TotalRuns);
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("wrong audience")]
    [InlineData("wrong issuer")]
    [InlineData("key not in the JWKS")]
    [InlineData("alg=none")]
    [InlineData("not a JWT")]
    public async Task Post_BadBearerToken_Is401WithBearerChallenge(string flaw)
    {
        await using var factory = JwtHost();
        var client = factory.CreateClient();
        using var foreignKey = RSA.Create(2048);
        var token = flaw switch
        {
            "expired" => _issuer.CreateToken(Audience, expires: TimeProvider.System.GetUtcNow().AddHours(-1)),
            "wrong audience" => _issuer.CreateToken("https://other.example.com/"),
            "wrong issuer" => _issuer.CreateToken(Audience, issuer: "https://issuer.example.com"),
            "key not in the JWKS" => _issuer.CreateToken(Audience, signingKey: foreignKey),
            "alg=none" => _issuer.CreateUnsignedToken(Audience),
            _ => "not-a-jwt",
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var response = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer" && h.Parameter!.Contains("invalid_token", StringComparison.Ordinal));
        Assert.Equal(0, factory.Handler.TotalRuns);
    }

    [Fact]
    public async Task Post_NoCredentialsWithJwtConfigured_Is401WithBearerChallenge()
    {
        await using var factory = JwtHost();

        var response = await factory.CreateClient().PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.DoesNotContain("error", challenge.Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_JwtBasicAndApiKeyConfigured_EachAdmitsAndBothChallengesAreSent()
    {
        await using var factory = JwtHost(new Dictionary<string, string?>
        {
            ["Http:ApiKey"] = "k1",
            ["Http:BasicUser"] = "eventbridge",
            ["Http:BasicPassword"] = "secret",
        });
        var client = factory.CreateClient();

        var none = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _issuer.CreateToken(Audience));
        var bearer = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "ZXZlbnRicmlkZ2U6c2VjcmV0");
        var basic = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        client.DefaultRequestHeaders.Authorization = null;
        client.DefaultRequestHeaders.Add("x-api-key", "k1");
        var apiKey = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(["Basic", "Bearer"], none.Headers.WwwAuthenticate.Select(h => h.Scheme).Order());
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
        Assert.Equal(HttpStatusCode.OK, apiKey.StatusCode);
    }

    [Fact]
    public async Task Start_BeyondLoopbackWithJwt_Starts()
    {
        await using var factory = JwtHost(new Dictionary<string, string?> { ["urls"] = "http://0.0.0.0:8080" });

        var response = await factory.CreateClient().GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private DedupHostFactory JwtHost(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Http:Jwt:Authority"] = _issuer.Issuer,
            ["Http:Jwt:Audience"] = Audience,
            ["Http:Jwt:RequireHttpsMetadata"] = "false",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return new DedupHostFactory(settings);
    }
}
