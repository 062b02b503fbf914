using GenesysDedup.Hosting;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

public static class DedupHostingExtensions
{
    /// <summary>
    /// Composes the engine from configuration alone, as both hosts do: the store from <c>Dedup:Store</c>
    /// (<c>sqlite</c> | <c>memory</c> | <c>redis</c> | <c>dynamodb</c>; <paramref name="defaultStore"/> when unset) and the
    /// handler from <c>Handler:Kind</c> (<c>log</c> | <c>http</c>). An unknown value fails here, at start-up, naming the key.
    /// </summary>
    public static GenesysDedupBuilder AddGenesysDedupFromConfiguration(this IServiceCollection services, IConfiguration configuration, string defaultStore = StoreKinds.Memory)
    {
        var builder = services.AddGenesysDedup(configuration);

        var store = StoreKinds.Chosen(configuration, defaultStore);
        _ = store switch
        {
            StoreKinds.Sqlite when StoreKinds.SqliteCarried => builder.UseSqliteStore(),
            StoreKinds.Sqlite => throw new InvalidOperationException(
                $"{StoreKinds.ConfigKey} is 'sqlite', which this host does not carry: its instances share no disk that outlives them. Use dynamodb or redis (memory to try it out)."),
            StoreKinds.Memory => builder.UseMemoryStore(),
            StoreKinds.Redis => builder.UseRedisStore(),
            StoreKinds.DynamoDb => builder.UseDynamoDbStore(),
            _ => throw new InvalidOperationException(
                $"{StoreKinds.ConfigKey} is '{store}'; expected one of: {string.Join(", ", StoreKinds.All)}."),
        };

        var handler = HandlerKinds.Chosen(configuration);
        _ = handler switch
        {
            HandlerKinds.Log => builder.AddLogHandler(),
            HandlerKinds.Http => builder.AddHttpForwardingHandler(),
            _ => throw new InvalidOperationException(
                $"{HandlerKinds.ConfigKey} is '{handler}'; expected one of: {string.Join(", ", HandlerKinds.All)}."),
        };

        services.AddMediator(static (Mediator.MediatorOptions options) =>
        {
            options.Namespace = "GenesysDedup.Hosting.Generated";
            options.GenerateTypesAsInternal = true;
            options.ServiceLifetime = ServiceLifetime.Singleton;
            options.Assemblies = [typeof(ProcessEvent)];
        });
        return builder;
    }
}
