using System.Net.Http.Headers;
using System.Text;
using GenesysDedup.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>Secrets, API keys and payload contents never appear in logs, whatever happens to the event.</summary>
public sealed class LogHygieneTests
{
    private const string ApiKey = "api-key-5f1e9c-never-logged";
    private const string BasicPassword = "basic-pass-7a2b-never-logged";
    private const string Marker = "PAYLD-3c9d"; // short: the JSON reader quotes names only up to 15 characters

    [Fact]
    public async Task Logs_AfterEveryOutcome_HoldNoSecretAndNoPayload()
    {
        var logs = new CapturingLoggerProvider();
        await using var factory = new LoggingHostFactory(logs, new Dictionary<string, string?>
        {
            ["Http:ApiKey"] = ApiKey,
            ["Http:BasicUser"] = "eventbridge",
            ["Http:BasicPassword"] = BasicPassword,
            ["Logging:LogLevel:Default"] = "Trace",
        });
        var client = factory.CreateClient();
        var marked = Encoding.UTF8.GetBytes(Samples.Text(Samples.Audit).Replace("Senior Agent", Marker, StringComparison.Ordinal));

        await client.PostEventAsync(marked); // 401, no credentials
        client.DefaultRequestHeaders.Add("x-api-key", ApiKey[..^1]);
        await client.PostEventAsync(marked); // 401, wrong key
        client.DefaultRequestHeaders.Remove("x-api-key");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"eventbridge:{BasicPassword}")));
        await client.PostEventAsync(marked); // processed
        await client.PostEventAsync(marked); // duplicate
        factory.Handler.FailNext("evt-log-" + Marker);
        await client.PostEventAsync(EventBuilder.Tutorial("evt-log-" + Marker, Marker)); // failed
        await client.PostEventAsync(Encoding.UTF8.GetBytes($"{{\"{Marker}\":1,\"{Marker}\":2}}")); // invalid: duplicate name
        await client.PostEventAsync(Encoding.UTF8.GetBytes($"{{\"detail\":\"{Marker}\"")); // invalid: truncated
        await client.PostEventAsync(marked, "text/plain"); // duplicate: any Content-Type is parsed as JSON
        factory.Store.Down = true;
        await client.PostEventAsync(EventBuilder.UniqueGenesysEvent(Marker)); // store_unavailable

        var text = logs.AllText();
        Assert.Contains("Processed", text); // the capture works: the processed line is there
        Assert.DoesNotContain(ApiKey, text);
        Assert.DoesNotContain(ApiKey[..^1], text);
        Assert.DoesNotContain(BasicPassword, text);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"eventbridge:{BasicPassword}")), text);
        Assert.DoesNotContain(Marker, text.Replace("evt-log-" + Marker, string.Empty, StringComparison.Ordinal));
        Assert.DoesNotContain("Bob Agent", text);
    }

    [Fact]
    public async Task Logs_AfterBearerTokens_HoldNoToken()
    {
        await using var issuer = await JwtIssuer.StartAsync();
        var logs = new CapturingLoggerProvider();
        await using var factory = new LoggingHostFactory(logs, new Dictionary<string, string?>
        {
            ["Http:Jwt:Authority"] = issuer.Issuer,
            ["Http:Jwt:Audience"] = "dedup",
            ["Http:Jwt:RequireHttpsMetadata"] = "false",
            ["Logging:LogLevel:Default"] = "Trace",
        });
        var client = factory.CreateClient();
        using var foreignKey = System.Security.Cryptography.RSA.Create(2048);
        string[] tokens =
        [
            issuer.CreateToken("dedup"),
            issuer.CreateToken("dedup", expires: TimeProvider.System.GetUtcNow().AddHours(-1)),
            issuer.CreateToken("other"),
            issuer.CreateToken("dedup", signingKey: foreignKey),
        ];

        foreach (var token in tokens)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());
        }

        var text = logs.AllText();
        Assert.Contains("Processed", text); // the capture works: the valid token's event was processed
        foreach (var token in tokens)
        {
            Assert.DoesNotContain(token.Split('.')[2], text); // the signature: what makes a token usable
        }
    }

    private sealed class LoggingHostFactory(CapturingLoggerProvider logs, IDictionary<string, string?> settings) : DedupHostFactory(settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureLogging(logging => logging.AddProvider(logs));
        }
    }
}
