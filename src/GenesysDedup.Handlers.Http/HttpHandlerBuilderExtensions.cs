using GenesysDedup.Domain;
using GenesysDedup.Handlers.Http;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class HttpHandlerBuilderExtensions
{
    /// <summary>Adds the <c>http</c> handler: forwards each unique event to <c>Handler:Http:Url</c>.</summary>
    public static GenesysDedupBuilder AddHttpForwardingHandler(this GenesysDedupBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<HttpHandlerOptions>();
        if (builder.Configuration is { } configuration)
        {
            options.Bind(configuration.GetSection(HttpHandlerOptions.SectionName));
        }

        options
            .Validate(
                static o => o.Url is { IsAbsoluteUri: true } url && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps),
                "Handler:Http:Url must be an absolute http(s) URL when Handler:Kind is 'http'.")
            .Validate(
                static o => o.Timeout > TimeSpan.Zero && o.Timeout <= TimeSpan.FromMinutes(5),
                "Handler:Http:Timeout must be between 00:00:00.001 and 00:05:00.")
            .ValidateOnStart();
        builder.Services.AddHttpClient(HttpForwardingHandler.ClientName, static (sp, client) =>
        {
            var handler = sp.GetRequiredService<IOptions<HttpHandlerOptions>>().Value;
            client.BaseAddress = handler.Url;
            client.Timeout = handler.Timeout;
        })
        // Anything but a 2xx fails. A followed 301/302/303 becomes a GET without the event, whose 200
        // would mark the event processed though it was never delivered.
        .UseSocketsHttpHandler(static (handler, _) => handler.AllowAutoRedirect = false);
        builder.Services.AddScoped<IDedupHandler>(static sp => new HttpForwardingHandler(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpForwardingHandler.ClientName)));
        return builder;
    }
}
