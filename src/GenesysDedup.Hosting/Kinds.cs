using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;

namespace GenesysDedup.Hosting;

/// <summary>Values of <c>Dedup:Store</c>.</summary>
public static class StoreKinds
{
    public const string ConfigKey = "Dedup:Store";
    public const string Sqlite = "sqlite";
    public const string Memory = "memory";
    public const string Redis = "redis";
    public const string DynamoDb = "dynamodb";

    /// <summary>
    /// The runtime switch a host sets to false to leave the sqlite store out: with <c>Trim="true"</c> its publish
    /// drops the store and Microsoft.Data.Sqlite (the Lambda host, whose instances share no disk that outlives them).
    /// </summary>
    public const string SqliteSwitch = "GenesysDedup.Hosting.SqliteStore";

    public static IReadOnlyList<string> All { get; } = [Sqlite, Memory, Redis, DynamoDb];

    /// <summary>Whether this process carries the sqlite store (<see cref="SqliteSwitch"/> not set to false).</summary>
    [FeatureSwitchDefinition(SqliteSwitch)]
    public static bool SqliteCarried => !AppContext.TryGetSwitch(SqliteSwitch, out var carried) || carried;

    /// <summary>
    /// The store configuration chose: <c>Dedup:Store</c> trimmed and lower-cased, <paramref name="defaultStore"/>
    /// when unset (the HTTP host passes <c>sqlite</c>).
    /// </summary>
    public static string Chosen(IConfiguration configuration, string defaultStore = Memory) => Setting.Read(configuration, ConfigKey, defaultStore);
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
