using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs the Redis store into <c>AddGenesysDedup</c>.</summary>
public static class RedisStoreBuilderExtensions
{
    /// <inheritdoc cref="UseRedisStore(GenesysDedupBuilder, Action{RedisStoreOptions})"/>
    public static GenesysDedupBuilder UseRedisStore(this GenesysDedupBuilder builder) => builder.UseRedisStore(static _ => { });

    /// <summary>
    /// Uses the Redis store: options from <c>Dedup:Redis</c> of the configuration given to <c>AddGenesysDedup</c> (when
    /// there is one), then <paramref name="configure"/>, validated at start-up; one <see cref="IConnectionMultiplexer"/>
    /// for the process (one registered before this call is used instead); <see cref="RedisDedupStore"/> as the
    /// <see cref="IDedupStore"/>.
    /// </summary>
    /// <remarks>
    /// The connection is made while the host starts (without a host, on the store's first call), waits at most the
    /// connect timeout, 2 s by default, and never fails the process: an unreachable server makes the store answer
    /// store_unavailable while the client keeps reconnecting in the background.
    /// </remarks>
    public static GenesysDedupBuilder UseRedisStore(this GenesysDedupBuilder builder, Action<RedisStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<RedisStoreOptions>()
            .Configure(options => builder.Configuration?.GetSection(RedisStoreOptions.SectionName).Bind(options))
            .Configure(configure)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisStoreOptions>, RedisStoreOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisStoreOptions>, RedisStoreOptionsChecks>());

        if (!services.Any(static service => service.ServiceType == typeof(IConnectionMultiplexer)))
        {
            services.AddSingleton<RedisConnection>();
            services.AddHostedService(static sp => sp.GetRequiredService<RedisConnection>());

            // For the application's own use of the connection; the store awaits it instead.
            services.AddSingleton(static sp => sp.GetRequiredService<RedisConnection>().Multiplexer.GetAwaiter().GetResult());
        }

        services.TryAddSingleton(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisStoreOptions>>().Value;
            return new RedisDedupStore(
                sp.GetService<RedisConnection>()?.Multiplexer ?? Task.FromResult(sp.GetRequiredService<IConnectionMultiplexer>()),
                options.KeyPrefix,
                sp.GetRequiredService<ILogger<RedisDedupStore>>(),
                ReplicaWaitOf(options, sp.GetRequiredService<IOptions<DedupOptions>>().Value));
        });
        services.Replace(ServiceDescriptor.Singleton<IDedupStore>(static sp => sp.GetRequiredService<RedisDedupStore>()));
        return builder;
    }

    /// <summary>
    /// WAIT's timeout is <c>Dedup:StoreTimeout</c>, cut to just under the client's command timeout so the server's
    /// count (which says how many replicas were reached) arrives before the client gives up on the command.
    /// </summary>
    private static ReplicaWait? ReplicaWaitOf(RedisStoreOptions options, DedupOptions dedup)
    {
        if (options.WaitReplicas == 0)
        {
            return null;
        }

        var commandTimeout = TimeSpan.FromMilliseconds(RedisConnectionSettings.Create(options.Configuration!).AsyncTimeout);
        var timeout = TimeSpan.FromMilliseconds(Math.Max(1, Math.Min(dedup.StoreTimeout.TotalMilliseconds, (commandTimeout - TimeSpan.FromMilliseconds(100)).TotalMilliseconds)));
        return new ReplicaWait(options.WaitReplicas, timeout);
    }
}
