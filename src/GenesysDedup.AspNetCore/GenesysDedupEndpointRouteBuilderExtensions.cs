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

    /// <summary>
    /// Maps the operator API under <paramref name="prefix"/> when <c>Http:AdminApiKey</c> is set (docs/operations.md):
    /// <c>GET {prefix}/events/{key}</c> answers the record of the key (URL-encoded; <c>?namespace=</c> defaults to
    /// <c>Dedup:Namespace</c>) or 404, <c>DELETE</c> removes it (204) so its next delivery is processed again, or 404.
    /// Every request under the prefix needs header <c>x-admin-key</c>. Without the setting nothing is mapped.
    /// </summary>
    public static RouteGroupBuilder MapGenesysDedupAdmin(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string prefix = "/admin")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var admin = endpoints.ServiceProvider.GetService<AdminEndpoint>() ?? throw new InvalidOperationException(
            "MapGenesysDedupAdmin needs services.AddGenesysDedup(...) with a store, and services.AddGenesysDedupEvents(configuration).");
        var group = endpoints.MapGroup(prefix);
        if (!admin.Enabled)
        {
            return group;
        }

        var eventsPath = $"/{prefix.Trim('/')}/events/";
        RequestDelegate find = context => admin.FindAsync(context, eventsPath);
        RequestDelegate remove = context => admin.RemoveAsync(context, eventsPath);
        // A catch-all: the raw request target is read for the key, since route values keep %2F encoded.
        group.MapGet("/events/{**key}", find);
        group.MapDelete("/events/{**key}", remove);
        group.Map("/{**rest}", admin.OtherAsync);
        return group;
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
