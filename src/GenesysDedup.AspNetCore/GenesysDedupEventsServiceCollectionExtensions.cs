using GenesysDedup.Application;
using GenesysDedup.AspNetCore;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the EventBridge events endpoint and the store health check.</summary>
public static class GenesysDedupEventsServiceCollectionExtensions
{
    /// <summary>
    /// Adds what <c>MapGenesysDedupEvents</c> needs, with options from the <c>Http</c> section of
    /// <paramref name="configuration"/>, validated at start-up. Pass the app's configuration: the refusal to listen
    /// beyond loopback without auth reads the listening addresses (<c>urls</c>, <c>Kestrel:Endpoints</c>) from it.
    /// </summary>
    public static IServiceCollection AddGenesysDedupEvents(this IServiceCollection services, IConfiguration configuration, Action<GenesysDedupEventsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<GenesysDedupEventsOptions>()
            .Bind(configuration.GetSection(GenesysDedupEventsOptions.SectionName))
            .Configure(options => configure?.Invoke(options))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GenesysDedupEventsOptions>>(sp =>
            new GenesysDedupEventsOptionsChecks(configuration, sp.GetRequiredService<IOptions<DedupOptions>>()));
        services.TryAddSingleton<RequestAuthenticator>();
        services.TryAddSingleton<EventsEndpoint>();
        services.TryAddSingleton<AdminEndpoint>();
        services.AddProblemDetails();
        services.AddAuthentication().AddJwtBearer(RequestAuthenticator.JwtScheme, _ => { });
        services.AddOptions<JwtBearerOptions>(RequestAuthenticator.JwtScheme)
            .Configure<IOptions<GenesysDedupEventsOptions>, TimeProvider>((jwt, http, time) => RequestAuthenticator.ConfigureJwt(jwt, http.Value.Jwt, time));
        return services;
    }

    /// <summary>Adds what <c>MapGenesysDedupEvents</c> needs, with options set in code: they carry no listening
    /// addresses, so refusing to listen beyond loopback without auth is then the app's own decision.</summary>
    public static IServiceCollection AddGenesysDedupEvents(this IServiceCollection services, Action<GenesysDedupEventsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddGenesysDedupEvents(new ConfigurationBuilder().Build(), configure);
    }

    /// <summary>
    /// Adds a check that is healthy while the dedup store answers. Probes share one store call at most 2 s old, so a
    /// flood of unauthenticated probes costs at most one store read per 2 s.
    /// </summary>
    public static IHealthChecksBuilder AddGenesysDedupStoreHealthCheck(this IHealthChecksBuilder builder, string name = "dedup-store", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // One instance, so the last store check is shared by every probe (health checks are otherwise made per run).
        builder.Services.TryAddSingleton<DedupStoreHealthCheck>();
        return builder.Add(new HealthCheckRegistration(name, sp => sp.GetRequiredService<DedupStoreHealthCheck>(), failureStatus: null, tags));
    }
}
