using Amazon.Runtime.CredentialManagement;

namespace GenesysDedup.Stores.DynamoDb;

/// <summary>
/// What the process's environment and shared AWS files say, read without the network (never the instance
/// metadata service). Replaceable so tests do not depend on the machine they run on.
/// </summary>
internal sealed class AwsEnvironment(Func<string, string?> variables, Func<string, CredentialProfile?> profiles)
{
    public static AwsEnvironment System { get; } = new(Environment.GetEnvironmentVariable, ReadProfile);

    public string? GetVariable(string name) => NullIfEmpty(variables(name));

    /// <summary>Whether any credentials source the SDK would use is configured: environment keys, a profile, web identity or a container endpoint.</summary>
    public bool HasCredentials() =>
        GetVariable("AWS_ACCESS_KEY_ID") is not null
        || GetVariable("AWS_WEB_IDENTITY_TOKEN_FILE") is not null
        || GetVariable("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") is not null
        || GetVariable("AWS_CONTAINER_CREDENTIALS_FULL_URI") is not null
        || profiles(ProfileName) is not null;

    /// <summary>The region the SDK would find without the network: <c>AWS_REGION</c>, <c>AWS_DEFAULT_REGION</c>, or the profile's.</summary>
    public string? DefaultRegion() =>
        GetVariable("AWS_REGION")
        ?? GetVariable("AWS_DEFAULT_REGION")
        ?? NullIfEmpty(profiles(ProfileName)?.Region?.SystemName);

    private string ProfileName => GetVariable("AWS_PROFILE") ?? "default";

    private static CredentialProfile? ReadProfile(string name) =>
        new CredentialProfileStoreChain().TryGetProfile(name, out var profile) ? profile : null;

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
