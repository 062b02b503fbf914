using System.Diagnostics.CodeAnalysis;
using GenesysDedup.Application;
using GenesysDedup.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the EventBridge events endpoint.</summary>
public static class GenesysDedupEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST <paramref name="pattern"/></c> for EventBridge API-destination pushes: the configured credentials
    /// are checked, the body is read up to <c>Http:MaxBodyBytes</c>, the event goes through
    /// <see cref="IEventDeduplicator"/>, and the outcome is answered 200 (processed, duplicate) or as
    /// <c>application/problem+json</c> with a status EventBridge retries or dead-letters accordingly.
    /// </summary>
    public static IEndpointConventionBuilder MapGenesysDedupEvents(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var registered = endpoints.ServiceProvider.GetRequiredService<IServiceProviderIsService>();
        if (!registered.IsService(typeof(IEventDeduplicator)) || !registered.IsService(typeof(EventsEndpoint)))
        {
            throw new InvalidOperationException(
                "MapGenesysDedupEvents needs services.AddGenesysDedup(...) with a store and a handler, and services.AddGenesysDedupEvents(configuration).");
        }

        return endpoints.MapPost(pattern, EventsEndpoint.HandleAsync);
    }

    /// <summary>Asks for the events endpoint's credentials (<c>Http:ApiKey</c>, Basic or JWT) on other endpoints too,
    /// e.g. <c>/metrics</c>; with none configured, every request passes.</summary>
    public static TBuilder RequireGenesysDedupAuth<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddEndpointFilter(static async (context, next) =>
        {
            var http = context.HttpContext;
            var authenticator = http.RequestServices.GetRequiredService<RequestAuthenticator>();
            return await authenticator.IsAuthorizedAsync(http).ConfigureAwait(false)
                ? await next(context).ConfigureAwait(false)
                : EventsEndpoint.Unauthorized(http, authenticator);
        });
    }
}
