using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace GenesysDedup.AspNetCore;

/// <summary>
/// Checks the credentials EventBridge connections send: an API key header, Basic auth, and/or an OAuth
/// client-credentials Bearer JWT; any configured one admits a request. Secrets are compared as SHA-256 digests with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so the time taken reveals neither the content nor the length
/// of the expected value.
/// </summary>
internal sealed class RequestAuthenticator
{
    /// <summary>The JWT bearer scheme, named apart from the app's own <c>Bearer</c> scheme so the two can coexist.</summary>
    internal const string JwtScheme = "GenesysDedup";

    internal const string BasicChallenge = "Basic realm=\"genesys-dedup\", charset=\"UTF-8\"";
    internal const string BearerChallenge = "Bearer realm=\"genesys-dedup\"";
    internal const string InvalidBearerChallenge = "Bearer realm=\"genesys-dedup\", error=\"invalid_token\"";

    /// <summary>EventBridge allows this many characters (Unicode code points) for each of the Basic user and password.</summary>
    internal const int MaxBasicCharacters = 512;

    // "user:password" in UTF-8, at most 4 bytes a code point, and its Base64 form: a longer header cannot be a legal
    // credential, so it is refused before anything is decoded or allocated for it.
    private const int MaxBasicBytes = (4 * MaxBasicCharacters) + 1 + (4 * MaxBasicCharacters);
    private const int MaxBasicBase64Chars = (MaxBasicBytes + 2) / 3 * 4;

    private readonly string _apiKeyHeader;
    private readonly byte[]? _apiKeyDigest;
    private readonly byte[]? _basicDigest;
    private readonly bool _jwt;

    public RequestAuthenticator(IOptions<GenesysDedupEventsOptions> options)
    {
        var value = options.Value;
        _apiKeyHeader = value.ApiKeyHeader;
        _apiKeyDigest = value.HasApiKey ? Digest(value.ApiKey!) : null;
        _basicDigest = value.HasBasic ? Digest($"{value.BasicUser}:{value.BasicPassword}") : null;
        _jwt = value.HasJwt;
    }

    public async ValueTask<bool> IsAuthorizedAsync(HttpContext context)
    {
        if (_apiKeyDigest is null && _basicDigest is null && !_jwt)
        {
            return true;
        }

        var request = context.Request;
        var authorized = false;
        if (_apiKeyDigest is not null && request.Headers.TryGetValue(_apiKeyHeader, out var key) && key.Count == 1)
        {
            authorized |= Matches(_apiKeyDigest, key[0]!);
        }

        if (_basicDigest is not null && Authorization(request, "Basic ") is { } basic)
        {
            authorized |= MatchesBasic(_basicDigest, basic.AsSpan(6).Trim());
        }

        // The handler finds the keys through OpenID discovery (cached) and checks signature, issuer, audience, lifetime.
        if (!authorized && _jwt && Authorization(request, "Bearer ") is not null)
        {
            authorized = (await context.AuthenticateAsync(JwtScheme).ConfigureAwait(false)).Succeeded;
        }

        return authorized;
    }

    /// <summary>Names every configured scheme that has a challenge in <c>WWW-Authenticate</c> (RFC 9110, RFC 6750).</summary>
    public void Challenge(HttpContext context)
    {
        var challenges = new List<string>(2);
        if (_basicDigest is not null)
        {
            challenges.Add(BasicChallenge);
        }

        if (_jwt)
        {
            challenges.Add(Authorization(context.Request, "Bearer ") is null ? BearerChallenge : InvalidBearerChallenge);
        }

        if (challenges.Count > 0)
        {
            context.Response.Headers.WWWAuthenticate = challenges.ToArray();
        }
    }

    /// <summary>Points the JWT bearer handler at the configured issuer, and its clock at the host's.</summary>
    internal static void ConfigureJwt(JwtBearerOptions jwt, GenesysDedupJwtOptions options, TimeProvider time)
    {
        jwt.Authority = options.Authority;
        jwt.Audience = options.Audience;
        jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
        jwt.MapInboundClaims = false;
        // Discovery runs on the first Bearer request (then every 12 h); EventBridge gives a request 5 s in all.
        jwt.BackchannelTimeout = TimeSpan.FromSeconds(3);
        jwt.TimeProvider = time;
        var validation = jwt.TokenValidationParameters;
        validation.ValidateIssuer = true;
        validation.ValidateAudience = true;
        validation.RequireSignedTokens = true;
        validation.ValidateIssuerSigningKey = true;
        validation.ValidateLifetime = true;
        // The library's own lifetime check reads the system clock; this one reads the host's TimeProvider.
        validation.LifetimeValidator = (notBefore, expires, _, parameters) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            return expires is { } end && now - parameters.ClockSkew < end
                   && (notBefore is not { } start || start <= now + parameters.ClockSkew);
        };
    }

    private static string? Authorization(HttpRequest request, string scheme) =>
        request.Headers.Authorization is { Count: 1 } authorization
        && authorization[0] is { } header
        && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? header
            : null;

    internal static bool Matches(byte[] expectedDigest, string presented) =>
        CryptographicOperations.FixedTimeEquals(expectedDigest, Digest(presented));

    internal static byte[] Digest(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    // The digest of the decoded UTF-8 bytes equals Digest($"{user}:{password}"), so no string is made of them.
    private static bool MatchesBasic(byte[] expectedDigest, ReadOnlySpan<char> base64)
    {
        if (base64.Length > MaxBasicBase64Chars)
        {
            return false;
        }

        var bytes = ArrayPool<byte>.Shared.Rent(base64.Length / 4 * 3);
        try
        {
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            return Convert.TryFromBase64Chars(base64, bytes, out var written)
                   && SHA256.HashData(bytes.AsSpan(0, written), digest) == digest.Length
                   && CryptographicOperations.FixedTimeEquals(expectedDigest, digest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes, clearArray: true);
        }
    }
}
