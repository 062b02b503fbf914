using Microsoft.AspNetCore.Http.Features;

namespace GenesysDedup.Hosts.Http;

/// <summary>
/// The rest of the OpenTelemetry HTTP server attributes on ASP.NET Core's own request span, which sets the method,
/// scheme, path and server address itself when it starts: the route, the status code and the span name
/// <c>{method} {route}</c>. Only on a span the sampler records; the others stay as cheap as ASP.NET Core makes them.
/// </summary>
internal static class RequestSpan
{
    public static IApplicationBuilder UseRequestSpanAttributes(this IApplicationBuilder app) => app.Use(static async (context, next) =>
    {
        await next(context).ConfigureAwait(false);
        if (context.Features.Get<IHttpActivityFeature>()?.Activity is { IsAllDataRequested: true } activity)
        {
            activity.SetTag("http.response.status_code", context.Response.StatusCode);
            if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route })
            {
                activity.SetTag("http.route", route);
                activity.DisplayName = $"{context.Request.Method} {route}";
            }
        }
    });
}
