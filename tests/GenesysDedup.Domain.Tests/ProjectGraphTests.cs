using System.Text.RegularExpressions;
using System.Xml.Linq;
using GenesysDedup.Testing;

namespace GenesysDedup.Domain.Tests;

/// <summary>
/// Keeps the hexagon visible: references point inward only (Domain ← Application ← Stores/Handlers/AspNetCore ←
/// Hosting ← Hosts), a store never references another store, and neither a host nor the ASP.NET Core package touches
/// a store SDK. Keeps the repository self-contained: its Markdown links only to files inside it, and those exist.
/// </summary>
public sealed partial class ProjectGraphTests
{
    private static readonly string Root = RepositoryRoot.Find();

    private static readonly string[] StoreSdks = ["StackExchange.Redis", "AWSSDK.DynamoDBv2", "AWSSDK.Core", "Microsoft.Data.Sqlite"];

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
            "Stores" or "Handlers" or "AspNetCore" => ["GenesysDedup.Application"],
            "Hosting" => ["GenesysDedup.Application", "GenesysDedup.Stores.", "GenesysDedup.Handlers."],
            "Hosts" => ["GenesysDedup.Hosting", "GenesysDedup.AspNetCore"],
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
    public void HostsAndAspNetCore_NeverReferenceAStoreSdk(string project)
    {
        if (Layer(project) is not ("Hosts" or "AspNetCore"))
        {
            return;
        }

        Assert.DoesNotContain(PackageReferences(project), StoreSdks.Contains);
    }

    [Fact]
    public void AspNetCore_ImposesNoMediatorOnTheApp()
    {
        Assert.DoesNotContain(PackageReferences("GenesysDedup.AspNetCore"), p => p.StartsWith("Mediator", StringComparison.Ordinal));
    }

    [Fact]
    public void Graph_CoversEveryLayer()
    {
        var layers = ProductProjects().Select(Layer).ToHashSet();

        Assert.Superset(new HashSet<string> { "Domain", "Application", "Stores", "Handlers", "AspNetCore", "Hosting", "Hosts" }, layers);
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

    [Fact]
    public void MarkdownLinks_InEveryDocument_StayInsideTheRepositoryAndExist()
    {
        var broken = MarkdownLinks()
            .Where(link => link.Path is { } path
                && (Path.IsPathRooted(path)
                    || !IsInsideRoot(link.Target)
                    || !(File.Exists(link.Target) || Directory.Exists(link.Target))))
            .Select(link => link.ToString())
            .ToList();

        Assert.True(broken.Count == 0, "links outside the repository or to missing files:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void MarkdownLinks_WithAnAnchor_NameAHeadingOfTheirDocument()
    {
        var broken = MarkdownLinks()
            .Where(link => link.Anchor is { } anchor
                && link.Target.EndsWith(".md", StringComparison.Ordinal)
                && File.Exists(link.Target)
                && !HeadingAnchors(link.Target).Contains(anchor))
            .Select(link => link.ToString())
            .ToList();

        Assert.True(broken.Count == 0, "anchors that name no heading:\n" + string.Join("\n", broken));
    }

    /// <summary>A link in <paramref name="Document"/>: <paramref name="Path"/> as written (null for an anchor alone), resolved to <paramref name="Target"/>.</summary>
    private sealed record MarkdownLink(string Document, string? Path, string? Anchor, string Target)
    {
        public override string ToString() =>
            $"{System.IO.Path.GetRelativePath(Root, Document)}: {Path}{(Anchor is null ? "" : "#" + Anchor)}";
    }

    // Relative links resolve from the document's folder; web and mail links are not files.
    private static IEnumerable<MarkdownLink> MarkdownLinks() =>
        MarkdownFiles(Root).SelectMany(file => LinkTargets(ProseOf(File.ReadAllText(file)))
            .Where(raw => !raw.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
                && !raw.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                && !raw.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
            .Select(raw =>
            {
                var hash = raw.IndexOf('#', StringComparison.Ordinal);
                var path = Uri.UnescapeDataString(hash < 0 ? raw : raw[..hash]);
                var anchor = hash < 0 ? null : raw[(hash + 1)..];
                var target = path.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, path));
                return new MarkdownLink(file, path.Length == 0 ? null : path, anchor, target);
            }));

    private static IEnumerable<string> MarkdownFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.md").Concat(Directory.EnumerateDirectories(directory)
            .Where(sub => Path.GetFileName(sub) is not ("node_modules" or "bin" or "obj") && !Path.GetFileName(sub).StartsWith('.'))
            .SelectMany(MarkdownFiles));

    private static bool IsInsideRoot(string path) =>
        path == Root || path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static IEnumerable<string> LinkTargets(string prose) =>
        InlineLink().Matches(prose).Concat(ReferenceLink().Matches(prose)).Select(match => match.Groups["target"].Value);

    // Code blocks and code spans show text, not links.
    private static string ProseOf(string markdown) => CodeSpan().Replace(CodeBlock().Replace(markdown, ""), "");

    // GitHub's anchors: lower case, punctuation dropped, spaces as hyphens, a repeated heading numbered from -1.
    private static HashSet<string> HeadingAnchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(CodeBlock().Replace(File.ReadAllText(file), "")))
        {
            var text = InlineLink().Replace(heading.Groups["text"].Value, "${text}").ToLowerInvariant();
            var slug = string.Concat(text.Where(c => char.IsLetterOrDigit(c) || c is '-' or '_' or ' ')).Replace(' ', '-');
            var unique = slug;
            for (var n = 1; !anchors.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\(\s*<?(?<target>[^)\s>]+)>?(?:\s+""[^""]*"")?\s*\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^ {0,3}\[[^\]]+\]:\s*<?(?<target>[^\s>]+)>?", RegexOptions.Multiline)]
    private static partial Regex ReferenceLink();

    [GeneratedRegex(@"^ {0,3}(?<fence>```|~~~).*?^ {0,3}\k<fence>", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex("`[^`\n]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^#{1,6}[ \t]+(?<text>.+?)[ \t#\r]*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

}
