using System.Diagnostics.CodeAnalysis;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the dedup engine.</summary>
public static class GenesysDedupServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine (<see cref="IEventDeduplicator"/>) with options from the <c>Dedup</c> section of
    /// <paramref name="configuration"/>, validated at start-up. Chain a store (<c>.UseMemoryStore()</c>) and handlers
    /// (<c>.AddHandler&lt;T&gt;()</c>); a missing one fails at start-up, naming the fix.
    /// </summary>
    public static GenesysDedupBuilder AddGenesysDedup(this IServiceCollection services, IConfiguration configuration, Action<DedupOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(services, configuration, configure);
    }

    /// <summary>Adds the engine with options set in code, for apps without configuration (workers, tests).</summary>
    public static GenesysDedupBuilder AddGenesysDedup(this IServiceCollection services, Action<DedupOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(services, null, configure);
    }

    private static GenesysDedupBuilder AddCore(IServiceCollection services, IConfiguration? configuration, Action<DedupOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<DedupOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration.GetSection(DedupOptions.SectionName));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DedupOptions>, DedupOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DedupOptions>, DedupOptionsChecks>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DedupOptions>>(new CompositionCheck(services)));

        services.AddLogging();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DedupMetrics>();
        services.TryAddSingleton<IEventDeduplicator>(static sp => CreateValidated<DedupEngine>(sp));
        services.TryAddSingleton<IEventRecords>(static sp => CreateValidated<EventRecords>(sp));
        return new GenesysDedupBuilder(services, configuration);
    }

    /// <summary>A store and a handler must be registered: without them the first event would throw, or be completed
    /// with nothing run.</summary>
    private sealed class CompositionCheck(IServiceCollection services) : IValidateOptions<DedupOptions>
    {
        public ValidateOptionsResult Validate(string? name, DedupOptions options)
        {
            var failures = new ValidateOptionsResultBuilder();
            if (!services.Any(d => d.ServiceType == typeof(IDedupStore)))
            {
                failures.AddError("No dedup store is registered: chain .UseSqliteStore(), .UseMemoryStore(), .UseRedisStore() or .UseDynamoDbStore() onto AddGenesysDedup(...).");
            }

            if (!services.Any(d => d.ServiceType == typeof(IDedupHandler)))
            {
                failures.AddError("No handler is registered, so every event would be completed with nothing run: chain .AddHandler<THandler>() or .AddLogHandler() onto AddGenesysDedup(...).");
            }

            return failures.Build();
        }
    }

    // Options validated first, so a missing store or handler fails with CompositionCheck's message, not DI's.
    private static T CreateValidated<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(IServiceProvider services)
    {
        _ = services.GetRequiredService<IOptions<DedupOptions>>().Value;
        return ActivatorUtilities.CreateInstance<T>(services);
    }
}
