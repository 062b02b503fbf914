using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace GenesysDedup.Hosts.Http;

/// <summary>
/// The OpenTelemetry HTTP server attributes on ASP.NET Core's own request span, and its name <c>{method} {route}</c>,
/// set after the request and only on a span the sampler records: a request left out builds none of them. (ASP.NET
/// Core's own switch for them, <c>SuppressActivityOpenTelemetryData=false</c>, builds them for every request.)
/// </summary>
internal static class RequestSpan
{
    public static IApplicationBuilder UseRequestSpanAttributes(this IApplicationBuilder app) => app.Use(static async (context, next) =>
    {
        await next(context).ConfigureAwait(false);
        if (context.Features.Get<IHttpActivityFeature>()?.Activity is not { IsAllDataRequested: true } activity)
        {
            return;
        }

        var request = context.Request;
        activity.SetTag("http.request.method", request.Method);
        activity.SetTag("url.scheme", request.Scheme);
        activity.SetTag("url.path", request.Path.Value);
        activity.SetTag("server.address", request.Host.Host);
        activity.SetTag("server.port", request.Host.Port);
        activity.SetTag("http.response.status_code", context.Response.StatusCode);
        if (context.Response.StatusCode >= 500)
        {
            // The HTTP conventions mark a server span failed on 5xx only (a 4xx is the client's).
            activity.SetTag("error.type", context.Response.StatusCode.ToString(CultureInfo.InvariantCulture));
            activity.SetStatus(ActivityStatusCode.Error);
        }

        if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route })
        {
            activity.SetTag("http.route", route);
            activity.DisplayName = $"{request.Method} {route}";
        }
    });
}
