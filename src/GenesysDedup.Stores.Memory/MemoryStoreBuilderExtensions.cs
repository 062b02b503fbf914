using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class MemoryStoreBuilderExtensions
{
    /// <summary>Uses the in-process store: for one instance and for trying it out; not durable.</summary>
    public static GenesysDedupBuilder UseMemoryStore(this GenesysDedupBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<MemoryDedupStore>();
        builder.Services.Replace(ServiceDescriptor.Singleton<IDedupStore>(sp => sp.GetRequiredService<MemoryDedupStore>()));
        builder.Services.AddHostedService<MemoryStoreSweeper>();
        return builder;
    }
}
