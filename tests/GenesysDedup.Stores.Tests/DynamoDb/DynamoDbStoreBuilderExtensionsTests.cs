using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using GenesysDedup.Domain;
using GenesysDedup.Stores.DynamoDb;
using GenesysDedup.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Stores.Tests.DynamoDb;

/// <summary><c>UseDynamoDbStore()</c>: configuration, start-up validation naming the key, and table creation at start.</summary>
public sealed class DynamoDbStoreBuilderExtensionsTests
{
    [Fact]
    public void UseDynamoDbStore_ReplacesTheStoreAndRegistersOneClient()
    {
        using var provider = Build(new() { ["Dedup:DynamoDb:ServiceUrl"] = "http://127.0.0.1:9/" });

        var store = Assert.IsType<DynamoDbDedupStore>(provider.GetRequiredService<IDedupStore>());
        Assert.Same(provider.GetRequiredService<IAmazonDynamoDB>(), provider.GetRequiredService<IAmazonDynamoDB>());
        Assert.Equal("EventDeduplication", store.TableName);
    }

    [Fact]
    public void UseDynamoDbStore_ClientIsBoundedForEventBridge()
    {
        using var provider = Build(new() { ["Dedup:DynamoDb:ServiceUrl"] = "http://127.0.0.1:9/" });

        var config = provider.GetRequiredService<IAmazonDynamoDB>().Config;

        Assert.Equal(TimeSpan.FromSeconds(2), config.Timeout);
        Assert.Equal(1, config.MaxErrorRetry);
        Assert.Equal("http://127.0.0.1:9/", config.ServiceURL);
    }

    [Fact]
    public void TableName_NotConfigured_ComesFromDedupTableNameInConfiguration()
    {
        using var provider = Build(new() { ["Dedup:DynamoDb:ServiceUrl"] = "http://127.0.0.1:9/", ["DEDUP_TABLE_NAME"] = "from-env-config" });

        Assert.Equal("from-env-config", provider.GetRequiredService<IOptions<DynamoDbStoreOptions>>().Value.TableName);
        Assert.Equal("from-env-config", provider.GetRequiredService<DynamoDbDedupStore>().TableName);
    }

    [Fact]
    public void TableName_NotConfigured_ComesFromTheProcessEnvironment()
    {
        var environment = new AwsEnvironment(name => name == "DEDUP_TABLE_NAME" ? "from-process-env" : null, _ => null);
        using var provider = Build(new() { ["Dedup:DynamoDb:ServiceUrl"] = "http://127.0.0.1:9/" }, environment);

        Assert.Equal("from-process-env", provider.GetRequiredService<IOptions<DynamoDbStoreOptions>>().Value.TableName);
    }

    [Fact]
    public void TableName_Configured_WinsOverDedupTableName()
    {
        var environment = new AwsEnvironment(name => name == "DEDUP_TABLE_NAME" ? "from-process-env" : null, _ => null);
        using var provider = Build(
            new() { ["Dedup:DynamoDb:ServiceUrl"] = "http://127.0.0.1:9/", ["Dedup:DynamoDb:TableName"] = "from-config", ["DEDUP_TABLE_NAME"] = "from-env-config" },
            environment);

        Assert.Equal("from-config", provider.GetRequiredService<IOptions<DynamoDbStoreOptions>>().Value.TableName);
    }

    [Theory]
    [InlineData("Dedup:DynamoDb:TableName", "", "Dedup:DynamoDb:TableName")]
    [InlineData("Dedup:DynamoDb:TableName", "x", "Dedup:DynamoDb:TableName")]
    [InlineData("Dedup:DynamoDb:TableName", "has space", "Dedup:DynamoDb:TableName")]
    [InlineData("Dedup:DynamoDb:ServiceUrl", "localhost:8000", "Dedup:DynamoDb:ServiceUrl")]
    [InlineData("Dedup:DynamoDb:ServiceUrl", "ftp://127.0.0.1/", "Dedup:DynamoDb:ServiceUrl")]
    [InlineData("Dedup:DynamoDb:Region", "EU West 1", "Dedup:DynamoDb:Region")]
    [InlineData("Dedup:DynamoDb:CreateTable", "maybe", "Dedup:DynamoDb:CreateTable")]
    public void Start_InvalidSetting_FailsNamingTheKey(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?> { ["Dedup:DynamoDb:Region"] = "eu-west-1", [key] = value };
        using var provider = Build(settings);

        var error = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_NoRegionAnywhere_FailsNamingTheRegionKey()
    {
        using var provider = Build([]);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Dedup:DynamoDb:Region", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_RegionFromTheEnvironment_IsEnough()
    {
        var environment = new AwsEnvironment(name => name == "AWS_REGION" ? "eu-central-1" : null, _ => null);
        using var provider = Build([], environment);

        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal("eu-central-1", provider.GetRequiredService<IAmazonDynamoDB>().Config.RegionEndpoint?.SystemName);
    }

    [Fact]
    public async Task CreateTable_True_CreatesTheTableAtStartAndTheStoreUsesIt()
    {
        var tableName = DynamoDbTestServer.NewTableName();
        var logs = new LogLines();
        using var provider = Build(
            new()
            {
                ["Dedup:DynamoDb:ServiceUrl"] = DynaliteServer.Shared.ServiceUrl.AbsoluteUri,
                ["Dedup:DynamoDb:TableName"] = tableName,
                ["Dedup:DynamoDb:CreateTable"] = "true",
            },
            logs: logs);
        provider.GetRequiredService<IStartupValidator>().Validate();

        foreach (var service in provider.GetServices<IHostedService>())
        {
            await service.StartAsync(CancellationToken.None);
        }

        var client = provider.GetRequiredService<IAmazonDynamoDB>();
        var description = (await client.DescribeTableAsync(tableName)).Table;
        Assert.Equal(TableStatus.ACTIVE, description.TableStatus);
        Assert.Equal(BillingMode.PAY_PER_REQUEST, description.BillingModeSummary?.BillingMode ?? BillingMode.PAY_PER_REQUEST);
        var key = Assert.Single(description.KeySchema);
        Assert.Equal(("EventId", KeyType.HASH), (key.AttributeName, key.KeyType));
        Assert.Equal(ScalarAttributeType.S, Assert.Single(description.AttributeDefinitions).AttributeType);

        // TTL is either enabled on `TTL`, or the endpoint said it has no TTL (dynalite) in one clear line.
        Assert.Single(logs.Lines, line => line.Contains("Enabled TTL on attribute TTL", StringComparison.Ordinal)
            || line.Contains("does not support TTL", StringComparison.Ordinal));

        var store = provider.GetRequiredService<IDedupStore>();
        var now = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(ClaimStatus.Acquired, (await store.TryClaimAsync(new ClaimRequest("k", "o", "f", now, now.AddMinutes(1)), CancellationToken.None)).Status);
        await store.CheckReadyAsync(CancellationToken.None);
    }

    [Fact]
    public async Task CreateTable_TableAlreadyExists_StartsAnyway()
    {
        var tableName = DynamoDbTestServer.NewTableName();
        var settings = new Dictionary<string, string?>
        {
            ["Dedup:DynamoDb:ServiceUrl"] = DynaliteServer.Shared.ServiceUrl.AbsoluteUri,
            ["Dedup:DynamoDb:TableName"] = tableName,
            ["Dedup:DynamoDb:CreateTable"] = "true",
        };

        for (var start = 0; start < 2; start++)
        {
            using var provider = Build(settings);
            foreach (var service in provider.GetServices<IHostedService>())
            {
                await service.StartAsync(CancellationToken.None);
            }
        }
    }

    [Fact]
    public async Task CreateTable_False_CreatesNothing()
    {
        var tableName = DynamoDbTestServer.NewTableName();
        using var provider = Build(new()
        {
            ["Dedup:DynamoDb:ServiceUrl"] = DynaliteServer.Shared.ServiceUrl.AbsoluteUri,
            ["Dedup:DynamoDb:TableName"] = tableName,
        });

        foreach (var service in provider.GetServices<IHostedService>())
        {
            await service.StartAsync(CancellationToken.None);
        }

        await Assert.ThrowsAsync<ResourceNotFoundException>(() => provider.GetRequiredService<IAmazonDynamoDB>().DescribeTableAsync(tableName));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, AwsEnvironment? environment = null, LogLines? logs = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging => logging.AddProvider(logs ?? new LogLines()));
        services.AddSingleton(environment ?? DynamoDbTestServer.NoAws);
        services.AddGenesysDedup(configuration).UseDynamoDbStore().AddLogHandler();
        return services.BuildServiceProvider();
    }

    /// <summary>Every formatted log line, for asserting what an operator would read.</summary>
    private sealed class LogLines : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                _lines.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
