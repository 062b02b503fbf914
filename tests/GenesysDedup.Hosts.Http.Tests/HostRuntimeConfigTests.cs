using System.Net.Http.Headers;
using System.Text.Json;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>The settings the built host starts with: its runtimeconfig.json, as <c>dotnet</c> reads it, and its
/// appsettings.json.</summary>
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

    [Fact]
    public async Task Host_StartedFromAnotherDirectory_StillAppliesItsAppsettings()
    {
        // The shipped appsettings.json keeps Microsoft.AspNetCore at Warning. Read from the working directory
        // instead, it went missing and every request logged four more lines, which cost a third of the throughput.
        var elsewhere = Directory.CreateTempSubdirectory("genesys-dedup-cwd-");
        try
        {
            await using var host = await RunningHost.StartAsync(workingDirectory: elsewhere.FullName);
            using var client = new HttpClient { BaseAddress = host.BaseAddress };
            using var body = new ByteArrayContent(EventBuilder.UniqueGenesysEvent());
            body.Headers.ContentType = new MediaTypeHeaderValue("application/json");

            using var response = await client.PostAsync(new Uri("events", UriKind.Relative), body);
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var key = answer.RootElement.GetProperty("key").GetString()!;
            // The request's "Request starting" line would be queued before its own "Processed" line.
            await LoopbackPort.WaitUntilAsync(
                _ => Task.FromResult(host.Output.Any(line => line.Contains($"Processed {key}", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(30),
                () => $"the log line for {key}");

            Assert.DoesNotContain(host.Output, line => line.Contains("Microsoft.AspNetCore.Hosting.Diagnostics", StringComparison.Ordinal));
        }
        finally
        {
            elsewhere.Delete(recursive: true);
        }
    }
}
