using System.Xml.Linq;
using GenesysDedup.Testing;

namespace GenesysDedup.Domain.Tests;

/// <summary>
/// Keeps the hexagon visible: references point inward only (Domain ← Application ← Stores/Handlers ← Hosting ←
/// Hosts), a store never references another store, and a host never touches a store SDK directly.
/// </summary>
public sealed class ProjectGraphTests
{
    private static readonly string Root = RepositoryRoot.Find();

    private static readonly string[] StoreSdks = ["StackExchange.Redis", "AWSSDK.DynamoDBv2", "AWSSDK.Core"];

    public static TheoryData<string> Projects()
    {
        var data = new TheoryData<string>();
        foreach (var project in ProductProjects())
        {
            data.Add(project);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void References_PointInwardOnly(string project)
    {
        var allowed = Layer(project) switch
        {
            "Domain" => Array.Empty<string>(),
            "Application" => ["GenesysDedup.Domain"],
            "Stores" or "Handlers" => ["GenesysDedup.Application"],
            "Hosting" => ["GenesysDedup.Application", "GenesysDedup.Stores.", "GenesysDedup.Handlers."],
            "Hosts" => ["GenesysDedup.Hosting"],
            var other => throw new InvalidOperationException($"{project} is in no known layer ({other})"),
        };

        foreach (var reference in ProjectReferences(project))
        {
            Assert.True(
                allowed.Any(prefix => reference == prefix || (prefix.EndsWith('.') && reference.StartsWith(prefix, StringComparison.Ordinal))),
                $"{project} references {reference}; allowed: {string.Join(", ", allowed)}");
        }
    }

    [Fact]
    public void Domain_HasNoPackageReferencesButAnalyzers()
    {
        var packages = PackageReferences("GenesysDedup.Domain");

        Assert.Empty(packages);
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Hosts_NeverReferenceAStoreSdk(string project)
    {
        if (Layer(project) != "Hosts")
        {
            return;
        }

        Assert.DoesNotContain(PackageReferences(project), StoreSdks.Contains);
    }

    [Fact]
    public void Graph_CoversEveryLayer()
    {
        var layers = ProductProjects().Select(Layer).ToHashSet();

        Assert.Superset(new HashSet<string> { "Domain", "Application", "Stores", "Handlers", "Hosting", "Hosts" }, layers);
    }

    private static IEnumerable<string> ProductProjects() =>
        new[] { "src", "hosts" }
            .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(Root, dir), "*.csproj", SearchOption.AllDirectories))
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Order(StringComparer.Ordinal);

    // GenesysDedup.Stores.Redis → Stores; GenesysDedup.Hosts.Http → Hosts.
    private static string Layer(string project) => project.Split('.')[1];

    private static XDocument Load(string project) =>
        XDocument.Load(Directory.EnumerateFiles(Root, project + ".csproj", SearchOption.AllDirectories).Single());

    private static IEnumerable<string> ProjectReferences(string project) =>
        Load(project).Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')));

    private static List<string> PackageReferences(string project) =>
        Load(project).Descendants("PackageReference").Select(r => r.Attribute("Include")!.Value).ToList();
}
