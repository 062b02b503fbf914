using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>The built host's telemetry as Lambda sees it: EMF lines on stdout, and an OTLP flush that never costs the answer.</summary>
public sealed class TelemetryProcessTests
{
    private const string FunctionName = "genesys-dedup-process-test";

    [Fact]
    public async Task Invoke_InLambda_WritesValidEmfLinesWithoutThePayload()
    {
        await using var harness = await LambdaHarness.StartAsync(new Dictionary<string, string?> { [LambdaTelemetry.FunctionNameVariable] = FunctionName });
        var marker = $"secret-{Guid.NewGuid():N}";

        var reply = await harness.InvokeAsync(EventBuilder.UniqueGenesysEvent(marker));
        await harness.Host.WaitForOutputAsync("\"_aws\"");

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        var line = Assert.Single(EmfSpec.Lines(harness.Host.Output));
        var root = EmfSpec.AssertValid(line);
        Assert.Equal(FunctionName, root.GetProperty("FunctionName").GetString());
        Assert.Equal("processed", root.GetProperty("Outcome").GetString());
        Assert.DoesNotContain(marker, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_OutsideLambda_WritesNoEmf()
    {
        await using var harness = await LambdaHarness.StartAsync();

        var reply = await harness.InvokeAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        Assert.Empty(EmfSpec.Lines(harness.Host.Output));
    }

    [Fact]
    public async Task Invoke_OtlpEndpointThatNeverAnswers_IsAnsweredAfterAFlushCutShortByTheDeadline()
    {
        // Connections are queued by the kernel and never read: every export waits for its own timeout (a minute here,
        // longer than the harness waits for a reply), so only the deadline (10 s away) can end the flush.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var harness = await LambdaHarness.StartAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "60000",
            ["OTEL_TRACES_SAMPLER"] = "always_on",
        });

        var reply = await harness.InvokeAsync(EventBuilder.UniqueGenesysEvent(), timeout: TimeSpan.FromSeconds(10));

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        using var response = JsonDocument.Parse(reply.Body);
        Assert.Equal("processed", response.RootElement.GetProperty("outcome").GetString());
        // The flush was cut short, and said so.
        await harness.Host.WaitForOutputAsync("the OTLP export did not finish before the deadline");
    }
}
