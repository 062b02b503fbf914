using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// Keys and SQS message ids with control characters are written escaped on the host's real console output, so an
/// event cannot forge a log line or drive the terminal of whoever reads the logs.
/// </summary>
public sealed class LogInjectionTests : HostProcessTests
{
    private const string Injection = "x\n\rinfo: forged line\u001b[8m\u0007\u0085\u2028end";

    [Fact]
    public async Task Invoke_KeyAndMessageIdWithControlCharacters_AreLoggedEscaped()
    {
        var eventId = $"evt-{Guid.NewGuid():N}{Injection}";
        var batch = new SqsBatchBuilder();
        batch.AddWithoutBody(messageId: $"msg{Injection}");

        var first = await Harness.InvokeAsync(EventBuilder.Tutorial(eventId, "gold"));
        var conflict = await Harness.InvokeAsync(EventBuilder.Tutorial(eventId, "silver"));
        var batchReply = await Harness.InvokeAsync(batch.Build());

        Assert.Equal("processed", first.Member("outcome"));
        Assert.Equal(RuntimeReplyKind.Error, conflict.Kind);
        Assert.Equal(RuntimeReplyKind.Response, batchReply.Kind);
        await Harness.Host.WaitForOutputAsync("has no string body");
        await Harness.Host.WaitForOutputAsync("conflict");
        var output = Harness.Host.Output;
        Assert.Contains(@"msgx\u000A\u000Dinfo: forged line\u001B[8m\u0007\u0085\u2028end", output);
        Assert.Contains(@$"{eventId[..36]}x\u000A\u000Dinfo: forged line", output);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u0007', output);
        Assert.DoesNotContain('\r', output);
        Assert.DoesNotContain('\u2028', output);
        Assert.DoesNotContain("\ninfo: forged", output, StringComparison.Ordinal);
    }
}
