using GenesysDedup.Domain;
using GenesysDedup.Stores.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs the SQLite store into <c>AddGenesysDedup</c>.</summary>
public static class SqliteStoreBuilderExtensions
{
    /// <inheritdoc cref="UseSqliteStore(GenesysDedupBuilder, Action{SqliteStoreOptions})"/>
    public static GenesysDedupBuilder UseSqliteStore(this GenesysDedupBuilder builder) => builder.UseSqliteStore(static _ => { });

    /// <summary>
    /// Uses the SQLite store: one durable file on this machine (<c>Dedup:Sqlite:Path</c>, default
    /// <c>genesys-dedup.db</c> in the working directory), with options from <c>Dedup:Sqlite</c> of the configuration
    /// given to <c>AddGenesysDedup</c> (when there is one), then <paramref name="configure"/>, validated at start-up.
    /// </summary>
    /// <remarks>
    /// The file is opened while the host starts: one that cannot be used (a missing or read-only directory, a file that
    /// is not a database, a schema from a later release) stops the start with a message naming
    /// <c>Dedup:Sqlite:Path</c>. Expired records are swept once a minute.
    /// </remarks>
    public static GenesysDedupBuilder UseSqliteStore(this GenesysDedupBuilder builder, Action<SqliteStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<SqliteStoreOptions>()
            .Configure(options => builder.Configuration?.GetSection(SqliteStoreOptions.SectionName).Bind(options))
            .Configure(configure)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>, SqliteStoreOptionsValidator>());
        services.TryAddSingleton(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<SqliteStoreOptions>>().Value;
            return new SqliteDedupStore(
                options.Path,
                string.Equals(options.Synchronous, SqliteSynchronous.Full, StringComparison.OrdinalIgnoreCase),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<SqliteDedupStore>>());
        });
        services.Replace(ServiceDescriptor.Singleton<IDedupStore>(static sp => sp.GetRequiredService<SqliteDedupStore>()));
        services.AddHostedService<SqliteStoreSweeper>();
        return builder;
    }
}
