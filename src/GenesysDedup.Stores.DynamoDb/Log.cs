using Microsoft.Extensions.Logging;

namespace GenesysDedup.Stores.DynamoDb;

/// <summary>Every log line of the DynamoDB store. Keys, table names and outcomes only: never payloads or secrets.</summary>
internal static partial class Log
{
    [LoggerMessage(3, LogLevel.Information, "Created DynamoDB table {TableName} (on-demand, partition key EventId)")]
    public static partial void TableCreated(ILogger logger, string tableName);

    [LoggerMessage(4, LogLevel.Information, "DynamoDB table {TableName} already exists; using it")]
    public static partial void TableExists(ILogger logger, string tableName);

    [LoggerMessage(5, LogLevel.Information, "Enabled TTL on attribute {Attribute} of DynamoDB table {TableName}")]
    public static partial void TtlEnabled(ILogger logger, string attribute, string tableName);

    [LoggerMessage(6, LogLevel.Information, "TTL on DynamoDB table {TableName} is already {Status} on attribute {Attribute}: left as it is (expiry is judged from stored timestamps)")]
    public static partial void TtlAlreadyOn(ILogger logger, string tableName, string? status, string? attribute);

    [LoggerMessage(7, LogLevel.Warning, "The DynamoDB endpoint does not support TTL ({ErrorCode}): expired records of table {TableName} are not deleted by the server. Dedup is unaffected (expiry is judged from stored timestamps); this is expected on dynalite")]
    public static partial void TtlUnsupported(ILogger logger, string? errorCode, string tableName);

    [LoggerMessage(8, LogLevel.Information, "Dedup:DynamoDb:ServiceUrl is {ServiceUrl} and no AWS credentials are configured: signing with placeholder credentials for the local endpoint")]
    public static partial void PlaceholderCredentials(ILogger logger, Uri serviceUrl);
}
