using Amazon.DynamoDBv2;
using GenesysDedup.Stores.DynamoDb;
using GenesysDedup.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenesysDedup.Stores.Tests.DynamoDb;

/// <summary>Clients and tables on a test server, built the way the store builds them in production.</summary>
internal static class DynamoDbTestServer
{
    /// <summary>A machine with no AWS settings at all, whatever the one running the tests has.</summary>
    public static AwsEnvironment NoAws { get; } = new(_ => null, _ => null);

    public static string NewTableName() => $"dedup-test-{Guid.NewGuid():N}";

    public static DynamoDbStoreOptions OptionsFor(Uri serviceUrl) => new() { ServiceUrl = serviceUrl.AbsoluteUri };

    /// <summary>A client with the store's own bounded configuration and placeholder credentials.</summary>
    public static AmazonDynamoDBClient NewClient(Uri serviceUrl) =>
        DynamoDbClientFactory.Create(OptionsFor(serviceUrl), NoAws, NullLogger.Instance);

    public static Task CreateTableAsync(IAmazonDynamoDB client, string tableName) =>
        DynamoDbTableSetup.EnsureTableAsync(client, tableName, TimeProvider.System, NullLogger.Instance, CancellationToken.None);
}

/// <summary>One table on the shared server for a whole test class.</summary>
public sealed class DynamoDbTableFixture : IAsyncLifetime
{
    public AmazonDynamoDBClient Client { get; } = DynamoDbTestServer.NewClient(DynaliteServer.Shared.ServiceUrl);

    public string TableName { get; } = DynamoDbTestServer.NewTableName();

    public Task InitializeAsync() => DynamoDbTestServer.CreateTableAsync(Client, TableName);

    public Task DisposeAsync()
    {
        Client.Dispose();
        return Task.CompletedTask;
    }
}
