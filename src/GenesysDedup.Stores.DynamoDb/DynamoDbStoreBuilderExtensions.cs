using Amazon.DynamoDBv2;
using GenesysDedup.Domain;
using GenesysDedup.Stores.DynamoDb;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs the DynamoDB store into <c>AddGenesysDedup</c>.</summary>
public static class DynamoDbStoreBuilderExtensions
{
    /// <inheritdoc cref="UseDynamoDbStore(GenesysDedupBuilder, Action{DynamoDbStoreOptions})"/>
    public static GenesysDedupBuilder UseDynamoDbStore(this GenesysDedupBuilder builder) => builder.UseDynamoDbStore(static _ => { });

    /// <summary>
    /// Uses the DynamoDB store: options from <c>Dedup:DynamoDb</c> of the configuration given to <c>AddGenesysDedup</c>
    /// (when there is one; the table name falls back to <c>DEDUP_TABLE_NAME</c>), then <paramref name="configure"/>,
    /// validated at start-up; one <see cref="IAmazonDynamoDB"/> for the process (an already registered one is kept);
    /// and, with <c>CreateTable=true</c>, the table created at start-up.
    /// </summary>
    public static GenesysDedupBuilder UseDynamoDbStore(this GenesysDedupBuilder builder, Action<DynamoDbStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.TryAddSingleton(AwsEnvironment.System);
        services.AddOptions<DynamoDbStoreOptions>()
            .Configure<AwsEnvironment>((options, environment) =>
            {
                var configuration = builder.Configuration;
                configuration?.GetSection(DynamoDbStoreOptions.SectionName).Bind(options);
                if (configuration?[$"{DynamoDbStoreOptions.SectionName}:{nameof(DynamoDbStoreOptions.TableName)}"] is null
                    && (configuration?[DynamoDbStoreOptions.TableNameEnvironmentVariable] ?? environment.GetVariable(DynamoDbStoreOptions.TableNameEnvironmentVariable)) is { Length: > 0 } fromEnvironment)
                {
                    options.TableName = fromEnvironment;
                }
            })
            .Configure(configure)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DynamoDbStoreOptions>, DynamoDbStoreOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DynamoDbStoreOptions>, DynamoDbStoreOptionsChecks>());

        services.TryAddSingleton<IAmazonDynamoDB>(static sp => DynamoDbClientFactory.Create(
            sp.GetRequiredService<IOptions<DynamoDbStoreOptions>>().Value,
            sp.GetRequiredService<AwsEnvironment>(),
            sp.GetRequiredService<ILogger<DynamoDbDedupStore>>()));
        services.TryAddSingleton(static sp => new DynamoDbDedupStore(
            sp.GetRequiredService<IAmazonDynamoDB>(),
            sp.GetRequiredService<IOptions<DynamoDbStoreOptions>>().Value.TableName));
        services.Replace(ServiceDescriptor.Singleton<IDedupStore>(static sp => sp.GetRequiredService<DynamoDbDedupStore>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DynamoDbTableSetup>());
        return builder;
    }
}
