using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs the in-process memory store into <c>AddGenesysDedup</c>.</summary>
public static class MemoryStoreBuilderExtensions
{
    /// <summary>Uses the in-process store: for one instance and for trying it out; not durable.</summary>
    public static GenesysDedupBuilder UseMemoryStore(this GenesysDedupBuilder builder) => builder.UseMemoryStore(static _ => { });

    /// <summary>
    /// Uses the in-process store, with options from <c>Dedup:Memory</c> of the configuration given to
    /// <c>AddGenesysDedup</c> (when there is one) and then <paramref name="configure"/>.
    /// </summary>
    public static GenesysDedupBuilder UseMemoryStore(this GenesysDedupBuilder builder, Action<MemoryStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<MemoryStoreOptions>()
            .Configure(options => builder.Configuration?.GetSection(MemoryStoreOptions.SectionName).Bind(options))
            .Configure(configure)
            .Validate(static options => options.MaxEntries >= 1, "Dedup:Memory:MaxEntries must be at least 1.")
            .ValidateOnStart();
        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton<EvictionReporter>();
        builder.Services.TryAddSingleton(static sp => new MemoryDedupStore(
            sp.GetRequiredService<IOptions<MemoryStoreOptions>>().Value.MaxEntries,
            sp.GetRequiredService<EvictionReporter>().Evicted));
        builder.Services.Replace(ServiceDescriptor.Singleton<IDedupStore>(sp => sp.GetRequiredService<MemoryDedupStore>()));
        builder.Services.AddHostedService<MemoryStoreSweeper>();
        return builder;
    }
}
