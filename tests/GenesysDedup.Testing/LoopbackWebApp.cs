using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Testing;

/// <summary>A quiet real Kestrel app on a free loopback port, for the fakes and scripted servers the tests talk to.</summary>
public static class LoopbackWebApp
{
    /// <summary>Builds the app, lets <paramref name="map"/> add its endpoints, starts it, and returns it with its base address (ending in '/').</summary>
    public static Task<(WebApplication App, Uri Address)> StartAsync(Action<WebApplication> map, CancellationToken cancellationToken = default) =>
        StartAsync(static _ => { }, map, cancellationToken);

    /// <summary>As above, with <paramref name="configure"/> adding services and settings first.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(Action<WebApplicationBuilder> configure, Action<WebApplication> map, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(map);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(static kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        configure(builder);
        var app = builder.Build();
        map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return (app, new Uri(address.EndsWith('/') ? address : address + "/", UriKind.Absolute));
    }
}
