using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using GenesysDedup.Testing;

namespace GenesysDedup.Packaging.Tests;

/// <summary>
/// The packages a user installs, as a user gets them: only the library packages and the tool's are produced, each
/// library with its README, XML docs, symbols and a dependency on the GenesysDedup package (never on an assembly that
/// is not published), the tool installed from the feed runs, and the samples built from the feed process events.
/// </summary>
public sealed partial class PackagesTests(PackagesFixture packages) : IClassFixture<PackagesFixture>
{
    /// <summary>Each package with the assemblies it carries; another library package is added here when it ships.</summary>
    private static readonly Dictionary<string, string[]> Expected = new()
    {
        ["GenesysDedup"] = ["GenesysDedup.Domain", "GenesysDedup.Application", "GenesysDedup.Stores.Memory"],
        ["GenesysDedup.Sqlite"] = ["GenesysDedup.Stores.Sqlite"],
        ["GenesysDedup.Redis"] = ["GenesysDedup.Stores.Redis"],
        ["GenesysDedup.DynamoDb"] = ["GenesysDedup.Stores.DynamoDb"],
        ["GenesysDedup.AspNetCore"] = ["GenesysDedup.AspNetCore"],
        // A .NET tool: its assemblies and their dependencies travel under tools/, not lib/ (ToolPackage_* below).
        ["GenesysDedup.Cli.any"] = ["genesys-dedup"],
    };

    /// <summary>The tool's pointer package and its native package, which carry no symbols (ToolPackage_* below).</summary>
    private static readonly string[] WithoutSymbols = ["GenesysDedup.Cli", "GenesysDedup.Cli.linux-x64"];

    [Fact]
    public void Pack_OfTheSolution_ProducesOnlyTheLibraryAndToolPackagesWithTheirSymbols()
    {
        var produced = Directory.EnumerateFiles(packages.Feed).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();

        var expected = Expected.Keys.SelectMany(id => new[] { $"{id}.{packages.Version}.nupkg", $"{id}.{packages.Version}.snupkg" })
            .Concat(WithoutSymbols.Select(id => $"{id}.{packages.Version}.nupkg"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, produced);
    }

    [Theory]
    [InlineData("GenesysDedup")]
    [InlineData("GenesysDedup.Sqlite")]
    [InlineData("GenesysDedup.Redis")]
    [InlineData("GenesysDedup.DynamoDb")]
    [InlineData("GenesysDedup.AspNetCore")]
    public void Package_Contents_AreTheAssembliesWithXmlDocsAndAReadme(string id)
    {
        using var package = ZipFile.OpenRead(Path.Combine(packages.Feed, $"{id}.{packages.Version}.nupkg"));
        var lib = package.Entries.Select(e => e.FullName).Where(n => n.StartsWith("lib/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

        var expected = Expected[id].SelectMany(a => new[] { $"lib/net10.0/{a}.dll", $"lib/net10.0/{a}.xml" }).Order(StringComparer.Ordinal);
        Assert.Equal(expected, lib);
        Assert.Contains(package.Entries, e => e.FullName == "README.md" && e.Length > 0);
        using var symbols = ZipFile.OpenRead(Path.Combine(packages.Feed, $"{id}.{packages.Version}.snupkg"));
        Assert.Equal(
            Expected[id].Select(a => $"lib/net10.0/{a}.pdb").Order(StringComparer.Ordinal),
            symbols.Entries.Select(e => e.FullName).Where(n => n.EndsWith(".pdb", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("GenesysDedup")]
    [InlineData("GenesysDedup.Sqlite")]
    [InlineData("GenesysDedup.Redis")]
    [InlineData("GenesysDedup.DynamoDb")]
    [InlineData("GenesysDedup.AspNetCore")]
    public void Package_Nuspec_HasTheMetadataAndDependsOnlyOnPublishedPackages(string id)
    {
        var metadata = Nuspec(id);

        Assert.Equal(packages.Version, Text(metadata, "version"));
        Assert.Equal("MIT", Text(metadata, "license"));
        Assert.Equal("README.md", Text(metadata, "readme"));
        Assert.False(string.IsNullOrWhiteSpace(Text(metadata, "description")));
        Assert.NotEqual("Package Description", Text(metadata, "description"));
        Assert.NotNull(metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "repository")?.Attribute("url"));
        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);
        var ours = dependencies.Keys.Where(d => d.StartsWith("GenesysDedup", StringComparison.Ordinal)).ToList();
        if (id == "GenesysDedup")
        {
            Assert.Empty(ours);
            Assert.Contains("Microsoft.Extensions.Options", dependencies.Keys);
        }
        else
        {
            Assert.Equal(["GenesysDedup"], ours);
            Assert.Equal(packages.Version, dependencies["GenesysDedup"]);
        }
    }

    /// <summary>
    /// dotnet tool install reads the pointer package and installs the package it names for the machine: the native
    /// executable on Linux x64, the framework-dependent assemblies anywhere else.
    /// </summary>
    [Fact]
    public void ToolPackage_PointsAtANativeAndAPortablePackage()
    {
        var metadata = Nuspec("GenesysDedup.Cli");
        var command = ToolSettings("GenesysDedup.Cli", "tools/any/any/DotnetToolSettings.xml");

        Assert.Equal("DotnetTool", PackageType(metadata));
        Assert.Equal("genesys-dedup", command.Descendants("Command").Single().Attribute("Name")?.Value);
        Assert.Equal(
            [("linux-x64", "GenesysDedup.Cli.linux-x64"), ("any", "GenesysDedup.Cli.any")],
            command.Descendants("RuntimeIdentifierPackage").Select(p => (p.Attribute("RuntimeIdentifier")?.Value, p.Attribute("Id")?.Value)));
        Assert.DoesNotContain(metadata.Descendants(), e => e.Name.LocalName == "dependency");
        Assert.Equal("README.md", Text(metadata, "readme"));
        Assert.False(string.IsNullOrWhiteSpace(Text(metadata, "description")));
    }

    [Fact]
    public void ToolPackage_ForLinuxX64_IsTheNativeExecutableWithItsSqliteAlone()
    {
        var command = ToolSettings("GenesysDedup.Cli.linux-x64", "tools/any/linux-x64/DotnetToolSettings.xml").Descendants("Command").Single();

        Assert.Equal("DotnetToolRidPackage", PackageType(Nuspec("GenesysDedup.Cli.linux-x64")));
        Assert.Equal("executable", command.Attribute("Runner")?.Value);
        Assert.Equal("genesys-dedup", command.Attribute("EntryPoint")?.Value);
        Assert.Equal(
            ["tools/any/linux-x64/DotnetToolSettings.xml", "tools/any/linux-x64/genesys-dedup", "tools/any/linux-x64/libe_sqlite3.so"],
            Entries("GenesysDedup.Cli.linux-x64").Where(n => n.StartsWith("tools/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ToolPackage_ForAnyPlatform_IsTheAssembliesWithEverythingTheyRunOn()
    {
        var command = ToolSettings("GenesysDedup.Cli.any", "tools/net10.0/any/DotnetToolSettings.xml").Descendants("Command").Single();

        Assert.Equal("DotnetToolRidPackage", PackageType(Nuspec("GenesysDedup.Cli.any")));
        Assert.Equal("dotnet", command.Attribute("Runner")?.Value);
        Assert.Equal("genesys-dedup.dll", command.Attribute("EntryPoint")?.Value);
        Assert.Subset(
            Entries("GenesysDedup.Cli.any").ToHashSet(),
            new[] { "genesys-dedup", "GenesysDedup.Hosting", "GenesysDedup.Stores.Redis", "GenesysDedup.Stores.DynamoDb", "System.CommandLine", "Spectre.Console" }
                .Select(a => $"tools/net10.0/any/{a}.dll")
                .Append("tools/net10.0/any/runtimes/linux-x64/native/libe_sqlite3.so")
                .Append("tools/net10.0/any/runtimes/osx-arm64/native/libe_sqlite3.dylib")
                .Append("tools/net10.0/any/runtimes/win-x64/native/e_sqlite3.dll").ToHashSet());
    }

    /// <summary>README's Operate section: install the tool from the packed folder and ask it for an event's key.</summary>
    [Fact]
    public async Task Tool_InstalledFromTheFeed_PrintsAnEventsKeyAndItsSource()
    {
        var tool = await packages.InstallToolAsync();

        var output = await PackagesFixture.RunAsync(tool, Samples.Text(Samples.Audit).ReplaceLineEndings(" "), "key", "-");

        Assert.Equal("-:1\tsha256:625852834bdcb0e566dc7fc18aa558371819488bb718c741b73750dad32d3cbe\tfingerprint", output.Trim());
    }

    /// <summary>On Linux x64 the installed command is the native executable, and it opens the SQLite store beside it.</summary>
    [Fact]
    public async Task Tool_InstalledOnLinuxX64_IsNativeAndReplaysIntoSqlite()
    {
        var tool = await packages.InstallToolAsync();
        using var store = new TempDirectory();

        var output = await PackagesFixture.RunAsync(tool, Samples.Text(Samples.Audit).ReplaceLineEndings(" "),
            "replay", "-", "--json", "--set", "Handler:Kind=log", "--set", $"Dedup:Sqlite:Path={store.File("dedup.db")}");

        Assert.Contains("genesysdedup.cli.linux-x64", new FileInfo(tool).ResolveLinkTarget(returnFinalTarget: true)?.FullName, StringComparison.Ordinal);
        Assert.Contains("\"processed\":1,", output, StringComparison.Ordinal);
    }

    /// <summary>The portable package, as dotnet tool install lays it out on a machine without a native package.</summary>
    [Fact]
    public async Task ToolPackage_ForAnyPlatform_RunsOnTheSharedRuntimeAndReplaysIntoSqlite()
    {
        using var folder = new TempDirectory();
        ZipFile.ExtractToDirectory(Path.Combine(packages.Feed, $"GenesysDedup.Cli.any.{packages.Version}.nupkg"), folder.Path);

        var output = await PackagesFixture.RunAsync("dotnet", Samples.Text(Samples.Audit).ReplaceLineEndings(" "),
            Path.Combine(folder.Path, "tools", "net10.0", "any", "genesys-dedup.dll"),
            "replay", "-", "--json", "--set", "Handler:Kind=log", "--set", $"Dedup:Sqlite:Path={folder.File("dedup.db")}");

        Assert.Contains("\"processed\":1,", output, StringComparison.Ordinal);
    }

    /// <summary>The worker, and an app whose own Mediator source generator runs beside GenesysDedup (no clash).</summary>
    [Theory]
    [InlineData("Worker", ".activity")]
    [InlineData("WithMediator", ".activity through Mediator")]
    public async Task Sample_BuiltFromTheFeed_ProcessesAnEventOnceAndAnswersDuplicateForItsRepeat(string sample, string handledEnding)
    {
        var events = await File.ReadAllTextAsync(Path.Combine(packages.Samples, "Worker", "events.jsonl"));

        var output = await packages.RunSampleAsync(sample, events);

        Assert.Equal(["processed", "duplicate"], Outcomes(output));
        Assert.Single(Lines(output), line => line.StartsWith("handled v2.users.", StringComparison.Ordinal)
            && line.EndsWith(handledEnding, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WebApp_BuiltFromTheFeed_AnswersProcessedThenDuplicate()
    {
        var port = LoopbackPort.GetFree();
        using var app = packages.StartSample("WebApp", "--urls", $"http://127.0.0.1:{port}");
        var output = new StringBuilder();
        app.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        app.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await LoopbackPort.WaitUntilAsync(
                async ct =>
                {
                    try
                    {
                        return (await client.GetAsync(new Uri("/", UriKind.Relative), ct)).StatusCode == HttpStatusCode.NotFound;
                    }
                    catch (HttpRequestException)
                    {
                        return false;   // not listening yet
                    }
                },
                TimeSpan.FromMinutes(1),
                () => { lock (output) { return output.ToString(); } });
            var body = Samples.Text(Samples.UserActivity);

            var first = await client.PostAsync(new Uri("/events", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
            var second = await client.PostAsync(new Uri("/events", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Contains("\"outcome\":\"processed\"", await first.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Contains("\"outcome\":\"duplicate\"", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
        }
    }

    /// <summary>The README's Install snippet is the Worker sample's Program.cs, so building the sample compiles it.</summary>
    [Fact]
    public void ReadmeInstallSnippet_IsTheWorkerSample()
    {
        var readme = File.ReadAllText(Path.Combine(PackagesFixture.Root, "README.md"));
        var install = readme[readme.IndexOf("\n## Install", StringComparison.Ordinal)..];
        var snippet = CSharpBlock().Match(install).Groups["code"].Value;

        var sample = File.ReadAllText(Path.Combine(PackagesFixture.Root, "samples", "Worker", "Program.cs"));
        Assert.Equal(sample.ReplaceLineEndings().Trim(), snippet.ReplaceLineEndings().Trim());
    }

    private List<string> Entries(string id)
    {
        using var package = ZipFile.OpenRead(Path.Combine(packages.Feed, $"{id}.{packages.Version}.nupkg"));
        return package.Entries.Select(e => e.FullName).ToList();
    }

    private XElement ToolSettings(string id, string path)
    {
        using var package = ZipFile.OpenRead(Path.Combine(packages.Feed, $"{id}.{packages.Version}.nupkg"));
        using var stream = package.Entries.Single(e => e.FullName == path).Open();
        return XDocument.Load(stream).Root!;
    }

    private static string? PackageType(XElement metadata) =>
        metadata.Descendants().Single(e => e.Name.LocalName == "packageType").Attribute("name")?.Value;

    private XElement Nuspec(string id)
    {
        using var package = ZipFile.OpenRead(Path.Combine(packages.Feed, $"{id}.{packages.Version}.nupkg"));
        using var stream = package.Entries.Single(e => e.FullName == $"{id}.nuspec").Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string? Text(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.TrimEntries);

    private static string[] Outcomes(string output) =>
        Lines(output).Where(line => line.StartsWith("processed ", StringComparison.Ordinal) || line.StartsWith("duplicate ", StringComparison.Ordinal))
            .Select(line => line.Split(' ')[0]).ToArray();

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
