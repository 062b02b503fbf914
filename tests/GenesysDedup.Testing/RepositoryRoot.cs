namespace GenesysDedup.Testing;

/// <summary>The checkout the tests run from: the folder holding GenesysDedup.sln, above the build output.</summary>
public static class RepositoryRoot
{
    /// <summary>The folder, or null when the build output is not inside a checkout.</summary>
    public static string? TryFind()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GenesysDedup.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>The folder; throws, naming where it looked, when there is none.</summary>
    public static string Find() =>
        TryFind() ?? throw new InvalidOperationException($"no GenesysDedup.sln above {AppContext.BaseDirectory}");
}
