using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GenesysDedup.Testing;

/// <summary>
/// A real OAuth authorization server's token side on a free loopback port: it serves OpenID discovery
/// (<c>/.well-known/openid-configuration</c>) and its JWKS, and signs RS256 access tokens the way a
/// client-credentials grant hands them to an EventBridge connection. Tokens are built by hand so a test can also make
/// the malformed ones (unsigned, signed by a foreign key) no library would.
/// </summary>
public sealed class JwtIssuer : IAsyncDisposable
{
    private const string KeyId = "test-key-1";
    private readonly WebApplication _app;
    private readonly RSA _key;

    private JwtIssuer(WebApplication app, RSA key, string issuer)
    {
        _app = app;
        _key = key;
        Issuer = issuer;
    }

    /// <summary>The issuer (<c>iss</c>), also the authority to configure: <c>http://127.0.0.1:port</c>.</summary>
    public string Issuer { get; }

    public static async Task<JwtIssuer> StartAsync()
    {
        var key = RSA.Create(2048);
        string? issuer = null;
        var (app, address) = await LoopbackWebApp.StartAsync(web =>
        {
            web.MapGet("/.well-known/openid-configuration", () => Results.Bytes(Discovery(issuer!), "application/json"));
            web.MapGet("/jwks", () => Results.Bytes(Jwks(key), "application/json"));
        }).ConfigureAwait(false);
        issuer = address.ToString().TrimEnd('/');
        return new JwtIssuer(app, key, issuer);
    }

    /// <summary>An RS256 token signed with the published key, valid for an hour unless told otherwise.</summary>
    public string CreateToken(string audience, string? issuer = null, DateTimeOffset? expires = null, RSA? signingKey = null)
    {
        var now = TimeProvider.System.GetUtcNow();
        var header = Json(writer =>
        {
            writer.WriteString("alg", "RS256");
            writer.WriteString("typ", "JWT");
            writer.WriteString("kid", KeyId);
        });
        var payload = Payload(issuer ?? Issuer, audience, now, expires ?? now.AddHours(1));
        var signed = $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(payload)}";
        var signature = (signingKey ?? _key).SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signed}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>An <c>alg=none</c> token with valid claims and no signature.</summary>
    public string CreateUnsignedToken(string audience)
    {
        var now = TimeProvider.System.GetUtcNow();
        var header = Json(writer =>
        {
            writer.WriteString("alg", "none");
            writer.WriteString("typ", "JWT");
        });
        return $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(Payload(Issuer, audience, now, now.AddHours(1)))}.";
    }

    // Issued an hour before it expires, or a minute ago if that is earlier.
    private static byte[] Payload(string issuer, string audience, DateTimeOffset now, DateTimeOffset expires) => Json(writer =>
    {
        var issued = Math.Min(now.AddMinutes(-1).ToUnixTimeSeconds(), expires.AddHours(-1).ToUnixTimeSeconds());
        writer.WriteString("iss", issuer);
        writer.WriteString("sub", "eventbridge-connection");
        writer.WriteString("aud", audience);
        writer.WriteNumber("iat", issued);
        writer.WriteNumber("nbf", issued);
        writer.WriteNumber("exp", expires.ToUnixTimeSeconds());
        writer.WriteString("scope", "events:write");
    });

    private static byte[] Discovery(string issuer) => Json(writer =>
    {
        writer.WriteString("issuer", issuer);
        writer.WriteString("jwks_uri", $"{issuer}/jwks");
        writer.WriteString("token_endpoint", $"{issuer}/token");
        writer.WriteStartArray("id_token_signing_alg_values_supported");
        writer.WriteStringValue("RS256");
        writer.WriteEndArray();
    });

    private static byte[] Jwks(RSA key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        return Json(writer =>
        {
            writer.WriteStartArray("keys");
            writer.WriteStartObject();
            writer.WriteString("kty", "RSA");
            writer.WriteString("use", "sig");
            writer.WriteString("alg", "RS256");
            writer.WriteString("kid", KeyId);
            writer.WriteString("n", Base64Url.EncodeToString(parameters.Modulus!));
            writer.WriteString("e", Base64Url.EncodeToString(parameters.Exponent!));
            writer.WriteEndObject();
            writer.WriteEndArray();
        });
    }

    private static byte[] Json(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        _key.Dispose();
    }
}
