using System.Globalization;
using System.Text;
using GenesysDedup.Testing;

namespace GenesysDedup.Cli.Tests;

/// <summary><c>key</c>, <c>status</c> and <c>reopen</c> as a real process, configured as an operator configures it.</summary>
public sealed class RecordAndKeyTests
{
    [Fact]
    public async Task Key_OfEventsOnStdin_PrintsEachKeyAndTheSourceThatGaveIt()
    {
        await using var world = await CliWorld.StartAsync("redis");
        var stdin = Samples.Text(Samples.Audit).ReplaceLineEndings(" ") + "\n" + Encoding.UTF8.GetString(EventBuilder.Tutorial("evt-7")) + "\n";

        var keys = await world.RunWithStdinAsync(stdin, "key", "-");
        var byEnvelopeId = await world.RunWithStdinAsync(stdin, "key", "-", "--set", "Dedup:KeySources:0=eventbridge-id");

        Assert.True(keys.ExitCode == 0, keys.ToString());
        Assert.Equal(
            ["-:1\tsha256:625852834bdcb0e566dc7fc18aa558371819488bb718c741b73750dad32d3cbe\tfingerprint", "-:2\tevt-7\tdetail.event_id"],
            keys.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("-:1\t6c8d7a4e-3b1f-4d2a-9f51-0a2b3c4d5e6f\teventbridge-id", byEnvelopeId.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("sqlite")]
    public async Task StatusAndReopen_InTheNamespaceOfAppsettings_ShowTheRecordThenLetTheEventRunAgain(string store)
    {
        await using var world = await CliWorld.StartAsync(store);
        world.Write("appsettings.json", """{ "Dedup": { "Namespace": "crm" } }""");
        var file = world.WriteLines("one.jsonl", [EventBuilder.Tutorial("evt-a")]);
        var before = TimeProvider.System.GetUtcNow();
        Assert.Equal(0, (await world.RunAsync("replay", file)).ExitCode);
        var after = TimeProvider.System.GetUtcNow();

        var status = await world.RunAsync("status", "evt-a");
        var elsewhere = await world.RunAsync("status", "evt-a", "--namespace", "billing");
        var reopen = await world.RunAsync("reopen", "evt-a");
        var afterReopen = await world.RunAsync("status", "evt-a");
        var reopenAgain = await world.RunAsync("reopen", "evt-a");
        var replay = await world.RunAsync("replay", file);

        Assert.True(status.ExitCode == 0, status.ToString());
        var record = status.Json;
        Assert.Equal("evt-a", record.GetProperty("key").GetString());
        Assert.Equal("crm", record.GetProperty("namespace").GetString());
        Assert.Equal("completed", record.GetProperty("status").GetString());
        Assert.StartsWith("sha256:", record.GetProperty("fingerprint").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("Z", record.GetProperty("expiresAt").GetString(), StringComparison.Ordinal);
        Assert.False(record.TryGetProperty("leaseExpiresAt", out _));
        var processedAt = record.GetProperty("processedAt").GetString()!;
        Assert.EndsWith("Z", processedAt, StringComparison.Ordinal);
        Assert.InRange(DateTimeOffset.Parse(processedAt, CultureInfo.InvariantCulture), before - TimeSpan.FromMilliseconds(1), after);
        Assert.Equal(1, elsewhere.ExitCode);
        Assert.Equal(0, reopen.ExitCode);
        Assert.Equal(1, afterReopen.ExitCode);
        Assert.Contains("not found", afterReopen.Error, StringComparison.Ordinal);
        Assert.Equal(1, reopenAgain.ExitCode);
        Assert.Equal(0, replay.ExitCode);
        Assert.Equal(2, world.DeliveriesByKey()["evt-a"]);
    }
}
