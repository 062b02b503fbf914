using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs the in-process memory store into <c>AddGenesysDedup</c>.</summary>
public static class MemoryStoreBuilderExtensions
{
    /// <summary>Uses the in-process store: for one instance and for trying it out; not durable.</summary>
    public static GenesysDedupBuilder UseMemoryStore(this GenesysDedupBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<MemoryStoreOptions>()
            .Bind((builder.Configuration ?? new ConfigurationBuilder().Build()).GetSection(MemoryStoreOptions.SectionName))
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MemoryStoreOptions>, MemoryStoreOptionsChecks>());
        builder.Services.TryAddSingleton<EvictionReporter>();
        builder.Services.TryAddSingleton(static sp => new MemoryDedupStore(
            sp.GetRequiredService<IOptions<MemoryStoreOptions>>().Value.MaxEntries,
            sp.GetRequiredService<EvictionReporter>().Evicted));
        builder.Services.Replace(ServiceDescriptor.Singleton<IDedupStore>(sp => sp.GetRequiredService<MemoryDedupStore>()));
        builder.Services.AddHostedService<MemoryStoreSweeper>();
        return builder;
    }
}
