using GenesysDedup.Application;
using GenesysDedup.Domain;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class GenesysDedupServiceCollectionExtensions
{
    /// <summary>
    /// Adds the dedup engine: options from <c>Dedup</c> (validated at start-up), the key resolver and the
    /// <see cref="ProcessEvent"/> pipeline. Chain a store (<c>.UseMemoryStore()</c>) and handlers (<c>.AddHandler&lt;T&gt;()</c>).
    /// </summary>
    public static GenesysDedupBuilder AddGenesysDedup(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<DedupOptions>()
            .Bind(configuration.GetSection(DedupOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DedupOptions>, DedupOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DedupOptions>, DedupOptionsChecks>());

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new EventLimits(MaxBytes: sp.GetRequiredService<IOptions<DedupOptions>>().Value.MaxEventBytes));
        services.TryAddSingleton<DedupMetrics>();
        services.TryAddSingleton<EngineStore>();
        services.TryAddSingleton(sp => KeyResolver.FromNames(sp.GetRequiredService<IOptions<DedupOptions>>().Value.KeySources));

        // The one place the pipeline's order is declared: outermost first.
        services.AddMediator(static (Mediator.MediatorOptions options) =>
        {
            options.Namespace = "GenesysDedup.Application.Generated";
            options.GenerateTypesAsInternal = true;
            options.ServiceLifetime = ServiceLifetime.Singleton;
            options.Assemblies = [typeof(ProcessEvent)];
            options.PipelineBehaviors =
            [
                typeof(TelemetryBehavior),
                typeof(ParseBehavior),
                typeof(KeyBehavior),
                typeof(IdempotencyBehavior),
            ];
        });

        return new GenesysDedupBuilder(services, configuration);
    }
}
