using System.Net;
using GenesysDedup.Application;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace GenesysDedup.AspNetCore;

/// <summary>The <c>Http</c> section: auth matching the EventBridge connection types, and the body limit.</summary>
public sealed class GenesysDedupEventsOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Http";

    /// <summary>API-key auth: the expected value of <see cref="ApiKeyHeader"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The header that carries the API key (an EventBridge API-key connection's header name).</summary>
    public string ApiKeyHeader { get; set; } = "x-api-key";

    /// <summary>Basic auth user; used with <see cref="BasicPassword"/>.</summary>
    public string? BasicUser { get; set; }

    /// <summary>Basic auth password; used with <see cref="BasicUser"/>.</summary>
    public string? BasicPassword { get; set; }

    /// <summary>OAuth client-credentials auth: a Bearer JWT from this issuer for this audience.</summary>
    public GenesysDedupJwtOptions Jwt { get; set; } = new();

    /// <summary>Allow listening beyond loopback with no auth configured.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>The request body limit; unset, it is <c>Dedup:MaxEventBytes</c> (a body is one event).</summary>
    public int? MaxBodyBytes { get; set; }

    /// <summary>
    /// Turns on the operator API (<c>MapGenesysDedupAdmin</c>): every request to it must carry this value in header
    /// <c>x-admin-key</c>. Unset, the operator API is not mapped. No ingest credential opens it, and it opens nothing else.
    /// </summary>
    public string? AdminApiKey { get; set; }

    internal bool HasApiKey => !string.IsNullOrEmpty(ApiKey);

    internal bool HasAdminApiKey => !string.IsNullOrEmpty(AdminApiKey);

    internal bool HasBasic => !string.IsNullOrEmpty(BasicUser) && !string.IsNullOrEmpty(BasicPassword);

    internal bool HasJwt => !string.IsNullOrEmpty(Jwt.Authority) && !string.IsNullOrEmpty(Jwt.Audience);
}

/// <summary>The <c>Http:Jwt</c> section: the token issuer (its keys found through OpenID discovery) and audience.</summary>
public sealed class GenesysDedupJwtOptions
{
    /// <summary>The issuer; its <c>/.well-known/openid-configuration</c> names the signing keys.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience a token must be issued for.</summary>
    public string? Audience { get; set; }

    /// <summary>False only for a local issuer served over http.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}

/// <summary>
/// Checks the section at start-up, including the refusal to listen beyond loopback with no auth: the listening
/// addresses come from ASP.NET's own settings in the configuration the app passed (<c>--urls</c>,
/// <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>, <c>Kestrel:Endpoints</c>); with none, Kestrel listens on
/// localhost.
/// </summary>
internal sealed class GenesysDedupEventsOptionsChecks(IConfiguration configuration, IOptions<DedupOptions> dedup) : IValidateOptions<GenesysDedupEventsOptions>
{
    public ValidateOptionsResult Validate(string? name, GenesysDedupEventsOptions options)
    {
        var failures = new ValidateOptionsResultBuilder();
        if (options.MaxBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            failures.AddError("Http:MaxBodyBytes must be between 1024 and 16777216.");
        }
        else if (options.MaxBodyBytes > dedup.Value.MaxEventBytes)
        {
            // A body is one event: one between the two limits would be read only to be refused as invalid.
            failures.AddError(
                $"Http:MaxBodyBytes ({options.MaxBodyBytes}) must not exceed Dedup:MaxEventBytes ({dedup.Value.MaxEventBytes}); " +
                "raise Dedup:MaxEventBytes, or leave Http:MaxBodyBytes unset to follow it.");
        }

        if (string.IsNullOrWhiteSpace(options.ApiKeyHeader))
        {
            failures.AddError("Http:ApiKeyHeader must not be empty.");
        }

        if (string.IsNullOrEmpty(options.BasicUser) != string.IsNullOrEmpty(options.BasicPassword))
        {
            failures.AddError("Http:BasicUser and Http:BasicPassword must be set together.");
        }

        CheckBasic(failures, "Http:BasicUser", options.BasicUser);
        CheckBasic(failures, "Http:BasicPassword", options.BasicPassword);
        if (options.BasicUser?.Contains(':', StringComparison.Ordinal) == true)
        {
            failures.AddError("Http:BasicUser must not contain ':' (Basic auth separates the user from the password with it).");
        }

        CheckJwt(failures, options.Jwt);
        if (options.HasAdminApiKey && (options.AdminApiKey == options.ApiKey || options.AdminApiKey == options.BasicPassword))
        {
            failures.AddError("Http:AdminApiKey must differ from Http:ApiKey and Http:BasicPassword: a sender of events must not be able to remove their records.");
        }

        if (!options.HasApiKey && !options.HasBasic && !options.HasJwt && !options.AllowAnonymous
            && ListeningAddresses(configuration).FirstOrDefault(address => !IsLoopback(address)) is { } exposed)
        {
            failures.AddError(
                $"Refusing to listen on {exposed} without authentication. Set Http:ApiKey, or Http:BasicUser and " +
                "Http:BasicPassword, or Http:Jwt:Authority and Http:Jwt:Audience, or Http:AllowAnonymous=true to " +
                "accept unauthenticated events.");
        }

        return failures.Build();
    }

    // EventBridge connections allow 512 characters (Unicode code points) each for the Basic user and password.
    private static void CheckBasic(ValidateOptionsResultBuilder failures, string key, string? value)
    {
        if (value is not null && value.EnumerateRunes().Count() > RequestAuthenticator.MaxBasicCharacters)
        {
            failures.AddError($"{key} must be at most {RequestAuthenticator.MaxBasicCharacters} characters.");
        }
    }

    private static void CheckJwt(ValidateOptionsResultBuilder failures, GenesysDedupJwtOptions jwt)
    {
        var hasAuthority = !string.IsNullOrEmpty(jwt.Authority);
        if (hasAuthority != !string.IsNullOrEmpty(jwt.Audience))
        {
            failures.AddError(hasAuthority
                ? "Http:Jwt:Audience must be set when Http:Jwt:Authority is (the audience your tokens are issued for)."
                : "Http:Jwt:Authority must be set when Http:Jwt:Audience is (the token issuer's URL).");
        }

        if (!hasAuthority)
        {
            return;
        }

        if (!Uri.TryCreate(jwt.Authority, UriKind.Absolute, out var authority)
            || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
        {
            failures.AddError("Http:Jwt:Authority must be an absolute http(s) URL: the token issuer, e.g. https://login.example.com/.");
        }
        else if (authority.Scheme == Uri.UriSchemeHttp && jwt.RequireHttpsMetadata)
        {
            failures.AddError(
                "Http:Jwt:Authority is http, so its signing keys could be forged in transit: use https, or set " +
                "Http:Jwt:RequireHttpsMetadata=false for a local issuer.");
        }
    }

    // Kestrel's precedence: configured endpoints replace --urls/ASPNETCORE_URLS, which replace ASPNETCORE_HTTP(S)_PORTS.
    internal static IEnumerable<string> ListeningAddresses(IConfiguration configuration)
    {
        string[] endpoints = [.. configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>().Where(url => url.Length > 0)];
        var urls = Split(configuration["urls"]);
        // ASPNETCORE_HTTP(S)_PORTS bind every interface.
        return endpoints.Length > 0 ? endpoints
            : urls.Length > 0 ? urls
            : Split(configuration["http_ports"]).Concat(Split(configuration["https_ports"])).Select(port => $"http://*:{port}");
    }

    private static string[] Split(string? list) =>
        (list ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // Kestrel parses its addresses the same way (an unparseable one fails here as it would there).
    internal static bool IsLoopback(string url)
    {
        var host = BindingAddress.Parse(url).Host.Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
               || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }
}
