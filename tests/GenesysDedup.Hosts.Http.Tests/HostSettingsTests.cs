using System.Net.Http.Headers;
using System.Text.Json;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>The settings the built host starts with, wherever it is started from.</summary>
public sealed class HostSettingsTests
{
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
