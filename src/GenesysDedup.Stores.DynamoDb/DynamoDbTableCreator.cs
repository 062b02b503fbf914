using Amazon.DynamoDBv2;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Stores.DynamoDb;

/// <summary>At start-up, when <c>Dedup:DynamoDb:CreateTable=true</c>, creates the table before the host serves events.</summary>
internal sealed class DynamoDbTableCreator(
    IAmazonDynamoDB client,
    IOptions<DynamoDbStoreOptions> options,
    TimeProvider time,
    ILogger<DynamoDbTableCreator> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        options.Value.CreateTable
            ? DynamoDbTableSetup.EnsureTableAsync(client, options.Value.TableName, time, logger, cancellationToken)
            : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
