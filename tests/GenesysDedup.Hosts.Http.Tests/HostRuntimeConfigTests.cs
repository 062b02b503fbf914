using System.Text.Json;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>The runtime settings the built host starts with (its runtimeconfig.json, as <c>dotnet</c> reads it).</summary>
public sealed class HostRuntimeConfigTests
{
    [Fact]
    public void Host_RunsWorkstationGc_NotTheWebSdkServerGc()
    {
        // Workstation GC kept the host under 150 MB with Redis and halved p99 (docs/performance.md); the Web SDK's
        // default is server GC, so losing the project setting would silently bring back the larger heap.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "GenesysDedup.Hosts.Http.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
    }
}
