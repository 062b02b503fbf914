using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>The settings the built host starts with, wherever it is started from.</summary>
public sealed class HostSettingsTests
{
    [Fact]
    public async Task Host_StartedFromAnotherDirectory_StillAppliesItsAppsettings()
    {
        // The shipped appsettings.json keeps Microsoft.AspNetCore at Warning. Read from the working directory
        // instead, it went missing and every request logged four more lines.
        await using var host = await RunningHost.StartAsync(freshDirectory: true);
        using var client = new HttpClient { BaseAddress = host.BaseAddress };

        var answer = await (await client.PostEventAsync(EventBuilder.UniqueGenesysEvent())).JsonAsync();
        // The request's "Request starting" line would be queued before its own "Processed" line.
        var output = await host.WaitForOutputAsync($"Processed {answer.GetProperty("key").GetString()}");

        Assert.DoesNotContain("Microsoft.AspNetCore.Hosting.Diagnostics", output, StringComparison.Ordinal);
    }
}
