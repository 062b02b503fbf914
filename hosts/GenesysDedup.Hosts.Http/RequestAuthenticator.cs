using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Hosts.Http;

/// <summary>
/// Checks the credentials EventBridge connections send: an API key header and/or Basic auth. Secrets are compared
/// as SHA-256 digests with <see cref="CryptographicOperations.FixedTimeEquals"/>, so the time taken reveals neither
/// the content nor the length of the expected value.
/// </summary>
internal sealed class RequestAuthenticator
{
    internal const string BasicChallenge = "Basic realm=\"genesys-dedup\", charset=\"UTF-8\"";

    private readonly string _apiKeyHeader;
    private readonly byte[]? _apiKeyDigest;
    private readonly byte[]? _basicDigest;

    public RequestAuthenticator(IOptions<HttpHostOptions> options)
    {
        var value = options.Value;
        _apiKeyHeader = value.ApiKeyHeader;
        _apiKeyDigest = value.HasApiKey ? Digest(value.ApiKey!) : null;
        _basicDigest = value.HasBasic ? Digest($"{value.BasicUser}:{value.BasicPassword}") : null;
    }

    public bool IsRequired => _apiKeyDigest is not null || _basicDigest is not null;

    /// <summary>When Basic is configured, a 401 carries a <c>WWW-Authenticate</c> challenge.</summary>
    public bool ChallengesBasic => _basicDigest is not null;

    public bool IsAuthorized(HttpRequest request)
    {
        if (!IsRequired)
        {
            return true;
        }

        var authorized = false;
        if (_apiKeyDigest is not null && request.Headers.TryGetValue(_apiKeyHeader, out var key) && key.Count == 1)
        {
            authorized |= Matches(_apiKeyDigest, key[0]!);
        }

        if (_basicDigest is not null
            && request.Headers.Authorization is { Count: 1 } authorization
            && authorization[0] is { } header
            && header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)
            && DecodeBasic(header.AsSpan(6).Trim()) is { } credentials)
        {
            authorized |= Matches(_basicDigest, credentials);
        }

        return authorized;
    }

    private static bool Matches(byte[] expectedDigest, string presented) =>
        CryptographicOperations.FixedTimeEquals(expectedDigest, Digest(presented));

    private static byte[] Digest(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static string? DecodeBasic(ReadOnlySpan<char> base64)
    {
        Span<byte> bytes = stackalloc byte[512];
        return Convert.TryFromBase64Chars(base64, bytes, out var written) ? Encoding.UTF8.GetString(bytes[..written]) : null;
    }
}
