using GenesysDedup.Domain;
using GenesysDedup.Stores.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs the Redis store into <c>AddGenesysDedup</c>.</summary>
public static class RedisStoreBuilderExtensions
{
    /// <summary>
    /// Uses the Redis store: options from <c>Dedup:Redis</c> (validated at start-up), one
    /// <see cref="IConnectionMultiplexer"/> for the process (an existing registration is reused), and
    /// <see cref="RedisDedupStore"/> as the <see cref="IDedupStore"/>.
    /// </summary>
    /// <remarks>
    /// The connection is made while the host starts (<see cref="RedisConnectionWarmup"/>; without a host, when the
    /// store is first resolved), waits at most the connect timeout, 2 s by default, and never fails the process: an unreachable server makes the store answer
    /// store_unavailable while the client keeps reconnecting in the background.
    /// </remarks>
    public static GenesysDedupBuilder UseRedisStore(this GenesysDedupBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<RedisStoreOptions>()
            .BindConfiguration(RedisStoreOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisStoreOptions>, RedisStoreOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisStoreOptions>, RedisStoreOptionsChecks>());

        services.TryAddSingleton<IConnectionMultiplexer>(static sp => Connect(
            sp.GetRequiredService<IOptions<RedisStoreOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<RedisDedupStore>()));
        services.TryAddSingleton<RedisDedupStore>();
        services.Replace(ServiceDescriptor.Singleton<IDedupStore>(static sp => sp.GetRequiredService<RedisDedupStore>()));
        services.AddHostedService<RedisConnectionWarmup>();
        return builder;
    }

    private static ConnectionMultiplexer Connect(RedisStoreOptions options, ILogger logger)
    {
        // AbortOnConnectFail=false (set by RedisConnectionSettings): returns after one bounded attempt even when the
        // server is down, and reconnects on its own.
        var connection = ConnectionMultiplexer.Connect(RedisConnectionSettings.Create(options.Configuration!));
        connection.ConnectionFailed += (_, e) => Log.ConnectionFailed(logger, e.Exception, e.EndPoint?.ToString(), e.FailureType);
        connection.ConnectionRestored += (_, e) => Log.ConnectionRestored(logger, e.EndPoint?.ToString());
        return connection;
    }
}
