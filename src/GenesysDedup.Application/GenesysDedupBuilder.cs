using System.Diagnostics.CodeAnalysis;
using GenesysDedup.Application;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddGenesysDedup</c>: plug in a store (<c>UseMemoryStore()</c>, …) and handlers.</summary>
public sealed class GenesysDedupBuilder
{
    internal GenesysDedupBuilder(IServiceCollection services, IConfiguration configuration)
    {
        Services = services;
        Configuration = configuration;
    }

    public IServiceCollection Services { get; }

    public IConfiguration Configuration { get; }

    /// <summary>Adds a handler that runs once per unique event. Handlers are scoped: one scope per event.</summary>
    public GenesysDedupBuilder AddHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>()
        where THandler : class, IDedupHandler
    {
        Services.AddScoped<IDedupHandler, THandler>();
        return this;
    }

    /// <summary>Adds the <c>log</c> handler: one structured line per processed event.</summary>
    public GenesysDedupBuilder AddLogHandler() => AddHandler<LogEventHandler>();
}
