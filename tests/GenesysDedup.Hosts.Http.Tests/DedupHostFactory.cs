using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// The real HTTP host (its own Program, configuration and pipeline) in process, with a controllable handler added
/// beside the configured one and the configured store wrapped so a test can take it down. Its default store, sqlite,
/// gets a file of its own unless the settings name one, so no test finds another's keys.
/// </summary>
internal class DedupHostFactory(IDictionary<string, string?>? settings = null, TimeProvider? clock = null) : WebApplicationFactory<Program>
{
    private readonly TempDirectory _files = new();

    public ControllableHandler Handler { get; } = new();

    /// <summary>The configured store behind a switch that takes it down.</summary>
    public FaultyStore Store => (FaultyStore)Services.GetRequiredService<IDedupStore>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Dedup:Sqlite:Path", _files.File("dedup.db"));
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            if (clock is not null)
            {
                services.Replace(ServiceDescriptor.Singleton(clock));
            }

            services.AddSingleton<IDedupHandler>(Handler);
            var configured = services.Last(d => d.ServiceType == typeof(IDedupStore));
            services.Replace(ServiceDescriptor.Singleton<IDedupStore>(sp =>
                new FaultyStore((IDedupStore)(configured.ImplementationInstance
                    ?? configured.ImplementationFactory?.Invoke(sp)
                    ?? ActivatorUtilities.CreateInstance(sp, configured.ImplementationType!)))));
        });
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
            // The host refused to start (what some tests assert) and has already torn its services down.
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Handler.Dispose();
        }

        base.Dispose(disposing);
        if (disposing)
        {
            _files.Dispose();
        }
    }
}
