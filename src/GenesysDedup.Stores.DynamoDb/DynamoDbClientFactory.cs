using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Stores.DynamoDb;

/// <summary>
/// Builds the process's one DynamoDB client with bounded time per call: a 2-second attempt timeout and one retry,
/// so a store call answers (or fails as unavailable) well inside EventBridge's 5-second target timeout.
/// </summary>
internal static class DynamoDbClientFactory
{
    internal static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    internal const int MaxErrorRetry = 1;

    /// <summary>Signing region for a local endpoint when none is configured: local servers accept any.</summary>
    internal const string LocalSigningRegion = "us-east-1";

    public static AmazonDynamoDBClient Create(DynamoDbStoreOptions options, AwsEnvironment environment, ILogger logger)
    {
        var config = new AmazonDynamoDBConfig
        {
            Timeout = AttemptTimeout,
            MaxErrorRetry = MaxErrorRetry,
            RetryMode = RequestRetryMode.Standard,
        };

        var serviceUrl = string.IsNullOrEmpty(options.ServiceUrl) ? null : DynamoDbStoreOptionsChecks.TryParseServiceUrl(options.ServiceUrl);
        if (serviceUrl is not null)
        {
            config.ServiceURL = serviceUrl.AbsoluteUri;
            config.AuthenticationRegion = options.Region ?? environment.DefaultRegion() ?? LocalSigningRegion;
            if (!environment.HasCredentials())
            {
                Log.PlaceholderCredentials(logger, serviceUrl);
                return new AmazonDynamoDBClient(new BasicAWSCredentials("genesys-dedup-local", "genesys-dedup-local"), config);
            }
        }
        else if (!string.IsNullOrEmpty(options.Region))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        return new AmazonDynamoDBClient(config);
    }
}
