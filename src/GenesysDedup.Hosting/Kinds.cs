namespace GenesysDedup.Hosting;

/// <summary>Values of <c>Dedup:Store</c>.</summary>
public static class StoreKinds
{
    public const string ConfigKey = "Dedup:Store";
    public const string Memory = "memory";
    public const string Redis = "redis";
    public const string DynamoDb = "dynamodb";

    public static IReadOnlyList<string> All { get; } = [Memory, Redis, DynamoDb];
}

/// <summary>Values of <c>Handler:Kind</c>.</summary>
public static class HandlerKinds
{
    public const string ConfigKey = "Handler:Kind";
    public const string Log = "log";
    public const string Http = "http";

    public static IReadOnlyList<string> All { get; } = [Log, Http];
}
