using System.Net;
using System.Text.Json.Nodes;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// A sender cannot forge log lines or drive the operator's terminal: every value from a request that reaches a log
/// line (key, event id, topic, detail-type, the reason of a refusal) has its control characters escaped. Read back
/// from the real console output of the built host.
/// </summary>
public sealed class LogInjectionTests
{
    // A line break, a carriage return, a terminal escape that hides text, a bell, and what a forged line would start with.
    internal const string Injection = "x\n\rinfo: forged line\u001b[8m\u0007\u0085\u2028end";

    [Fact]
    public async Task Logs_ValuesWithControlCharacters_AreWrittenEscapedOnTheConsole()
    {
        await using var host = await RunningHost.StartAsync();
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        var eventId = $"evt-{Guid.NewGuid():N}{Injection}";
        var genesys = JsonNode.Parse(Samples.Text(Samples.UserActivity))!.AsObject();
        genesys["id"] = Injection;
        genesys["detail-type"] = Injection;
        genesys["detail"]!["topicName"] = Injection;
        genesys["detail"]!["eventBody"]!["id"] = Guid.NewGuid().ToString();

        var processed = await client.PostEventAsync(System.Text.Encoding.UTF8.GetBytes(genesys.ToJsonString())); // Processed line: id, topic, detail-type
        var first = await client.PostEventAsync(EventBuilder.Tutorial(eventId, "gold"));
        var conflict = await client.PostEventAsync(EventBuilder.Tutorial(eventId, "silver")); // warning line with the key twice

        Assert.Equal(HttpStatusCode.OK, processed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, conflict.StatusCode);
        var output = await host.WaitForOutputAsync("conflict");
        Assert.Contains(@"x\u000A\u000Dinfo: forged line\u001B[8m\u0007\u0085\u2028end", output);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u0007', output);
        Assert.DoesNotContain('\r', output);
        Assert.DoesNotContain('\u0085', output);
        Assert.DoesNotContain('\u2028', output);
        Assert.DoesNotContain(host.Output, line => line.StartsWith("info: forged", StringComparison.Ordinal));
    }
}
