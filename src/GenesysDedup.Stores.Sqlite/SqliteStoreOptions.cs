using Microsoft.Extensions.Options;

namespace GenesysDedup.Stores.Sqlite;

/// <summary>The <c>Dedup:Sqlite</c> section (docs/stores.md#sqlite, docs/configuration.md).</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The configuration section these options bind from: <c>Dedup:Sqlite</c>.</summary>
    public const string SectionName = "Dedup:Sqlite";

    /// <summary>The database file, absolute or relative to the working directory. Its directory must exist.</summary>
    public string Path { get; set; } = "genesys-dedup.db";

    /// <summary>
    /// <c>normal</c>: a write survives the process being killed; <c>full</c>: it also survives power loss or an
    /// operating-system crash, at the cost of a disk flush per write.
    /// </summary>
    public string Synchronous { get; set; } = SqliteSynchronous.Normal;
}

/// <summary>Values of <c>Dedup:Sqlite:Synchronous</c>.</summary>
internal static class SqliteSynchronous
{
    public const string Normal = "normal";
    public const string Full = "full";
}

internal sealed class SqliteStoreOptionsValidator : IValidateOptions<SqliteStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStoreOptions options)
    {
        var failures = new ValidateOptionsResultBuilder();
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            failures.AddError("Dedup:Sqlite:Path is empty: set it to the database file, e.g. genesys-dedup.db.");
        }

        if (!string.Equals(options.Synchronous, SqliteSynchronous.Normal, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(options.Synchronous, SqliteSynchronous.Full, StringComparison.OrdinalIgnoreCase))
        {
            failures.AddError($"Dedup:Sqlite:Synchronous is '{options.Synchronous}'; expected normal or full.");
        }

        return failures.Build();
    }
}
