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
        var config = CreateConfig(options, environment);
        if (PlaceholderCredentials(options, environment) is { } credentials)
        {
            Log.PlaceholderCredentials(logger, new Uri(config.ServiceURL));
            return new AmazonDynamoDBClient(credentials, config);
        }

        return new AmazonDynamoDBClient(config);
    }

    internal static AmazonDynamoDBConfig CreateConfig(DynamoDbStoreOptions options, AwsEnvironment environment)
    {
        var config = new AmazonDynamoDBConfig
        {
            Timeout = AttemptTimeout,
            MaxErrorRetry = MaxErrorRetry,
            RetryMode = RequestRetryMode.Standard,
        };

        if (ServiceUrl(options) is { } serviceUrl)
        {
            config.ServiceURL = serviceUrl.AbsoluteUri;
            config.AuthenticationRegion = options.Region ?? environment.DefaultRegion() ?? LocalSigningRegion;
        }
        else if ((string.IsNullOrEmpty(options.Region) ? environment.DefaultRegion() : options.Region) is { } region)
        {
            // Resolved here, as the start-up check did, so the SDK never asks the instance metadata service.
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        return config;
    }

    /// <summary>For a local endpoint with no AWS credentials configured anywhere: placeholder keys, which local servers accept.</summary>
    internal static BasicAWSCredentials? PlaceholderCredentials(DynamoDbStoreOptions options, AwsEnvironment environment) =>
        ServiceUrl(options) is not null && !environment.HasCredentials()
            ? new BasicAWSCredentials("genesys-dedup-local", "genesys-dedup-local")
            : null;

    private static Uri? ServiceUrl(DynamoDbStoreOptions options) =>
        string.IsNullOrEmpty(options.ServiceUrl) ? null : DynamoDbStoreOptionsChecks.TryParseServiceUrl(options.ServiceUrl);
}
