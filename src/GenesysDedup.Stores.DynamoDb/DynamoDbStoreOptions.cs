using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Stores.DynamoDb;

/// <summary>The <c>Dedup:DynamoDb</c> section (docs/behaviour.md#configuration).</summary>
public sealed class DynamoDbStoreOptions
{
    /// <summary>The configuration section these options bind from: <c>Dedup:DynamoDb</c>.</summary>
    public const string SectionName = "Dedup:DynamoDb";

    /// <summary>Read for the table name when <c>Dedup:DynamoDb:TableName</c> is not set.</summary>
    public const string TableNameEnvironmentVariable = "DEDUP_TABLE_NAME";

    /// <summary>The table; partition key <c>EventId</c> (S). Default <c>EventDeduplication</c>, or <c>DEDUP_TABLE_NAME</c>.</summary>
    [Required(ErrorMessage = "Dedup:DynamoDb:TableName is required (or leave it unset and set DEDUP_TABLE_NAME).")]
    [RegularExpression("^[A-Za-z0-9_.-]{3,255}$", ErrorMessage = "Dedup:DynamoDb:TableName must be 3 to 255 letters, digits, '_', '.' or '-' (DynamoDB's table name rules).")]
    public string TableName { get; set; } = DedupTable.DefaultTableName;

    /// <summary>Endpoint override for a local server (dynalite, DynamoDB Local), e.g. <c>http://127.0.0.1:8000</c>.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>AWS region, e.g. <c>eu-west-1</c>; unset means the SDK's default (<c>AWS_REGION</c>, the shared config profile).</summary>
    [RegularExpression("^[a-z0-9]+(-[a-z0-9]+)*$", ErrorMessage = "Dedup:DynamoDb:Region must be an AWS region name such as eu-west-1.")]
    public string? Region { get; set; }

    /// <summary>Create the table (on-demand, TTL on <c>TTL</c> where supported) at start-up: for development.</summary>
    public bool CreateTable { get; set; }
}

[OptionsValidator]
internal sealed partial class DynamoDbStoreOptionsValidator : IValidateOptions<DynamoDbStoreOptions>;

/// <summary>Checks what attributes cannot express: the endpoint's shape, and that a region can be found without the network.</summary>
internal sealed class DynamoDbStoreOptionsChecks(AwsEnvironment environment) : IValidateOptions<DynamoDbStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, DynamoDbStoreOptions options)
    {
        var failures = new ValidateOptionsResultBuilder();
        if (!string.IsNullOrEmpty(options.ServiceUrl) && TryParseServiceUrl(options.ServiceUrl) is null)
        {
            failures.AddError("Dedup:DynamoDb:ServiceUrl must be an absolute http or https URL, e.g. http://127.0.0.1:8000.");
        }

        if (string.IsNullOrEmpty(options.ServiceUrl) && string.IsNullOrEmpty(options.Region) && environment.DefaultRegion() is null)
        {
            failures.AddError("Dedup:DynamoDb:Region is not set and no AWS region is configured (AWS_REGION, AWS_DEFAULT_REGION or the shared config profile): set Dedup:DynamoDb:Region, e.g. eu-west-1, or Dedup:DynamoDb:ServiceUrl for a local endpoint.");
        }

        return failures.Build();
    }

    internal static Uri? TryParseServiceUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri : null;
}
