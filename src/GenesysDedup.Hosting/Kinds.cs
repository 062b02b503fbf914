using Microsoft.Extensions.Configuration;

namespace GenesysDedup.Hosting;

/// <summary>Values of <c>Dedup:Store</c>.</summary>
public static class StoreKinds
{
    public const string ConfigKey = "Dedup:Store";
    public const string Memory = "memory";
    public const string Redis = "redis";
    public const string DynamoDb = "dynamodb";

    public static IReadOnlyList<string> All { get; } = [Memory, Redis, DynamoDb];

    /// <summary>The store configuration chose: <c>Dedup:Store</c> trimmed and lower-cased, <c>memory</c> when unset.</summary>
    public static string Chosen(IConfiguration configuration) => Setting.Read(configuration, ConfigKey, Memory);
}

/// <summary>Values of <c>Handler:Kind</c>.</summary>
public static class HandlerKinds
{
    public const string ConfigKey = "Handler:Kind";
    public const string Log = "log";
    public const string Http = "http";

    public static IReadOnlyList<string> All { get; } = [Log, Http];

    /// <summary>The handler configuration chose: <c>Handler:Kind</c> trimmed and lower-cased, <c>log</c> when unset.</summary>
    public static string Chosen(IConfiguration configuration) => Setting.Read(configuration, ConfigKey, Log);
}

internal static class Setting
{
    public static string Read(IConfiguration configuration, string key, string defaultValue)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[key];
        return string.IsNullOrWhiteSpace(value) ? defaultValue : value.Trim().ToLowerInvariant();
    }
}
