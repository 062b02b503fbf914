using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>The built host serving HTTPS on real Kestrel from the standard <c>Kestrel:Certificates:Default</c> keys.</summary>
public sealed class HttpsTests
{
    private const string Password = "pfx-password-for-this-test";

    [Fact]
    public async Task Post_OverHttpsWithTheConfiguredCertificate_Is200ProcessedUnderThatCertificate()
    {
        using var files = new TempDirectory();
        using var certificate = SelfSigned();
        var path = files.File("host.pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, Password));
        await using var host = await RunningHost.StartAsync(
            new Dictionary<string, string>
            {
                ["Dedup__Store"] = "memory",
                ["Kestrel__Certificates__Default__Path"] = path,
                ["Kestrel__Certificates__Default__Password"] = Password,
            },
            https: true);
        string? presented = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, served, _, _) => (presented = served?.GetCertHashString()) == certificate.Thumbprint },
        };
        using var client = new HttpClient(handler) { BaseAddress = host.BaseAddress };

        var response = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(Uri.UriSchemeHttps, host.BaseAddress.Scheme);
        Assert.Equal(certificate.Thumbprint, presented);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("processed", await response.OutcomeAsync());
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        var now = TimeProvider.System.GetUtcNow();
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
    }
}
