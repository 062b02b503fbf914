namespace GenesysDedup.Testing;

/// <summary>Configuration that chooses a store on a test server, as a host reads it (<c>Dedup:…</c>).</summary>
public static class StoreSettings
{
    /// <param name="keyPrefix">Keeps one test's keys apart on a shared server; the store's default when null.</param>
    public static Dictionary<string, string?> Redis(RedisServer server, string? keyPrefix = null)
    {
        var settings = new Dictionary<string, string?> { ["Dedup:Store"] = "redis", ["Dedup:Redis:Configuration"] = server.Configuration };
        if (keyPrefix is not null)
        {
            settings["Dedup:Redis:KeyPrefix"] = keyPrefix;
        }

        return settings;
    }

    /// <summary>The sqlite store on the file at <paramref name="path"/>.</summary>
    public static Dictionary<string, string?> Sqlite(string path) => new() { ["Dedup:Store"] = "sqlite", ["Dedup:Sqlite:Path"] = path };

    /// <summary>The store on <paramref name="serviceUrl"/>, creating <paramref name="table"/> at start.</summary>
    public static Dictionary<string, string?> DynamoDb(Uri serviceUrl, string table) => new()
    {
        ["Dedup:Store"] = "dynamodb",
        ["Dedup:DynamoDb:ServiceUrl"] = serviceUrl.AbsoluteUri,
        ["Dedup:DynamoDb:TableName"] = table,
        ["Dedup:DynamoDb:CreateTable"] = "true",
    };

    /// <summary>The same settings as a process's environment variables (<c>Dedup__Store</c>).</summary>
    public static Dictionary<string, string?> AsEnvironment(this Dictionary<string, string?> settings) =>
        settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value, StringComparer.Ordinal);
}
