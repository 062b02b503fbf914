using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using GenesysDedup.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Stores.DynamoDb;

/// <summary>
/// With <c>Dedup:DynamoDb:CreateTable=true</c>, creates the dedup table at start-up, before the host serves events (for
/// development): on-demand capacity, partition key <c>EventId</c> (S), then TTL on <c>TTL</c> where the endpoint
/// supports it. An existing table is used as it is.
/// </summary>
internal sealed class DynamoDbTableSetup(IAmazonDynamoDB client, IOptions<DynamoDbStoreOptions> options, TimeProvider time, ILogger<DynamoDbTableSetup> logger) : IHostedService
{
    // DynamoDB takes seconds to make a table ACTIVE; dynalite well under one.
    internal static readonly TimeSpan ActivationTimeout = TimeSpan.FromMinutes(2);

    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public Task StartAsync(CancellationToken cancellationToken) =>
        options.Value.CreateTable ? EnsureTableAsync(client, options.Value.TableName, time, logger, cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static async Task EnsureTableAsync(IAmazonDynamoDB client, string tableName, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await CreateAsync(client, tableName, logger, cancellationToken).ConfigureAwait(false);
            await WaitUntilActiveAsync(client, tableName, time, cancellationToken).ConfigureAwait(false);
            await EnableTtlAsync(client, tableName, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DynamoDbDedupStore.IsFault(ex, cancellationToken))
        {
            throw new DedupStoreUnavailableException($"Creating DynamoDB table '{tableName}' failed: {ex.Message}", ex);
        }
    }

    private static async Task CreateAsync(IAmazonDynamoDB client, string tableName, ILogger logger, CancellationToken cancellationToken)
    {
        var create = new CreateTableRequest
        {
            TableName = tableName,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions = [new AttributeDefinition(DedupTable.EventId, ScalarAttributeType.S)],
            KeySchema = [new KeySchemaElement(DedupTable.EventId, KeyType.HASH)],
        };

        try
        {
            await client.CreateTableAsync(create, cancellationToken).ConfigureAwait(false);
            Log.TableCreated(logger, tableName);
        }
        catch (ResourceInUseException)
        {
            Log.TableExists(logger, tableName); // an existing table is the goal, not an error
        }
    }

    private static async Task WaitUntilActiveAsync(IAmazonDynamoDB client, string tableName, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + ActivationTimeout;
        while (true)
        {
            var description = await client.DescribeTableAsync(new DescribeTableRequest { TableName = tableName }, cancellationToken).ConfigureAwait(false);
            if (description.Table?.TableStatus == TableStatus.ACTIVE)
            {
                return;
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new DedupStoreUnavailableException($"DynamoDB table '{tableName}' is still {description.Table?.TableStatus} after {ActivationTimeout}.");
            }

            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task EnableTtlAsync(IAmazonDynamoDB client, string tableName, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var current = await client.DescribeTimeToLiveAsync(new DescribeTimeToLiveRequest { TableName = tableName }, cancellationToken).ConfigureAwait(false);
            var status = current.TimeToLiveDescription?.TimeToLiveStatus;
            if (status == TimeToLiveStatus.ENABLED || status == TimeToLiveStatus.ENABLING)
            {
                Log.TtlAlreadyOn(logger, tableName, status.Value, current.TimeToLiveDescription?.AttributeName);
                return;
            }

            await client.UpdateTimeToLiveAsync(
                new UpdateTimeToLiveRequest
                {
                    TableName = tableName,
                    TimeToLiveSpecification = new TimeToLiveSpecification { AttributeName = DedupTable.Ttl, Enabled = true },
                },
                cancellationToken).ConfigureAwait(false);
            Log.TtlEnabled(logger, DedupTable.Ttl, tableName);
        }
        catch (AmazonDynamoDBException ex) when (IsUnsupported(ex))
        {
            Log.TtlUnsupported(logger, ex.ErrorCode, tableName);
        }
    }

    /// <summary>An endpoint without the TTL API (dynalite answers <c>UnknownOperationException</c>).</summary>
    private static bool IsUnsupported(AmazonDynamoDBException exception) =>
        exception.ErrorCode is "UnknownOperationException" or "UnrecognizedClientException" or "NotImplemented";
}
