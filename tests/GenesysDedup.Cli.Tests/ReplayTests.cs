using System.Net;
using System.Text;
using System.Text.Json;
using GenesysDedup.Testing;

namespace GenesysDedup.Cli.Tests;

/// <summary>
/// <c>genesys-dedup replay</c> as a real process against redis-server and dynalite, with the <c>http</c> handler
/// posting to a counting downstream: what the downstream receives is what the handler ran.
/// </summary>
public sealed class ReplayTests
{
    /// <summary>10,000 on Redis; dynalite (one Node.js process) gets a tenth of the load for the same proof.</summary>
    [Theory]
    [InlineData("redis", 10_000)]
    [InlineData("dynamodb", 1_000)]
    public async Task Replay_ThirtyPercentAlreadyProcessed_RunsTheHandlerOnlyForTheRest(string store, int total)
    {
        await using var world = await CliWorld.StartAsync(store);
        var events = Enumerable.Range(0, total).Select(_ => EventBuilder.UniqueGenesysEvent()).ToList();
        var earlier = world.WriteLines("earlier.jsonl", events.Where((_, i) => i % 10 < 3));
        var all = world.WriteLines("all.jsonl", events);
        var first = await world.RunAsync("replay", earlier, "--concurrency", "16", "--json");
        Assert.True(first.ExitCode == 0 && first.Count("processed") == total * 3 / 10, first.ToString());
        var deliveredEarlier = world.Downstream.Deliveries.Count;

        var replay = await world.RunAsync("replay", all, "--concurrency", "16", "--json");

        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Equal(total * 7 / 10, replay.Count("processed"));
        Assert.Equal(total * 3 / 10, replay.Count("duplicate"));
        Assert.Equal(total * 7 / 10, world.Downstream.Deliveries.Count - deliveredEarlier);
        var deliveries = world.DeliveriesByKey();
        Assert.Equal(total, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal(1, d.Value));
    }

    [Fact]
    public async Task Replay_InterruptedBySigintThenRunAgain_ProcessesEveryEventExactlyOnce()
    {
        await using var world = await CliWorld.StartAsync("redis");
        var file = world.WriteLines("dlq.jsonl", Enumerable.Range(0, 2_000).Select(i => EventBuilder.Tutorial($"evt-{i:D5}")));
        // Events run in input order (concurrency 1): while the 1,501st is in the handler, 1,500 are done.
        var held = world.Downstream.HoldNext("evt-01500");

        await using (var replay = world.Start("replay", file, "--json"))
        {
            await replay.WaitForErrorLineAsync("progress 1000/2000");
            await held.Arrived.WaitAsync(TimeSpan.FromMinutes(2));
            replay.Interrupt();
            await replay.WaitForErrorLineAsync("SIGINT: finishing the events in flight");
            held.Release();
            var interrupted = await replay.WaitForExitAsync();

            Assert.True(interrupted.ExitCode == 1, interrupted.ToString());
            Assert.True(interrupted.Json.GetProperty("interrupted").GetBoolean());
            Assert.Equal(1_501, interrupted.Count("processed"));
            Assert.Equal(499, interrupted.Count("not_attempted"));
            Assert.Contains("interrupted: 499 events not attempted", interrupted.Error, StringComparison.Ordinal);
        }

        var again = await world.RunAsync("replay", file, "--json");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(499, again.Count("processed"));
        Assert.Equal(1_501, again.Count("duplicate"));
        var deliveries = world.DeliveriesByKey();
        Assert.Equal(2_000, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal(1, d.Value));
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("dynamodb")]
    public async Task ReplayDryRun_OverProcessedHeldAndNewEvents_ReportsWhatEachWouldBeAndChangesNothing(string store)
    {
        await using var world = await CliWorld.StartAsync(store);
        var processed = world.WriteLines("processed.jsonl", Enumerable.Range(0, 5).Select(i => EventBuilder.Tutorial($"evt-{i}")));
        Assert.Equal(0, (await world.RunAsync("replay", processed)).ExitCode);
        var holding = world.WriteLines("holding.jsonl", [EventBuilder.Tutorial("evt-held")]);
        var held = world.Downstream.HoldNext("evt-held");
        await using var holder = world.Start("replay", holding);
        await held.Arrived.WaitAsync(TimeSpan.FromMinutes(2));
        var lines = Enumerable.Range(0, 5).Select(i => Encoding.UTF8.GetString(EventBuilder.Tutorial($"evt-{i}")))
            .Append(Encoding.UTF8.GetString(EventBuilder.Tutorial("evt-3", data: "silver")))
            .Concat(Enumerable.Range(5, 3).Select(i => Encoding.UTF8.GetString(EventBuilder.Tutorial($"evt-{i}"))))
            .Append(Encoding.UTF8.GetString(EventBuilder.Tutorial("evt-5")))
            .Append("{\"detail\": ")
            .Append(Encoding.UTF8.GetString(EventBuilder.Tutorial("evt-held")));
        var preview = world.Write("preview.jsonl", string.Join('\n', lines) + "\n");
        var deliveredBefore = world.Downstream.Deliveries.Count;

        var dryRun = await world.RunAsync("replay", preview, "--dry-run", "--json");

        Assert.True(dryRun.ExitCode == 1, dryRun.ToString());
        Assert.Equal(
            ["duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "conflict", "new", "new", "new", "duplicate", "invalid", "in_progress"],
            dryRun.Json.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("outcome").GetString()));
        Assert.Equal(deliveredBefore, world.Downstream.Deliveries.Count);

        held.Release();
        Assert.Equal(0, (await holder.WaitForExitAsync()).ExitCode);
        var replay = await world.RunAsync("replay", preview, "--json");

        // Had the dry run claimed or written anything, the three new events would not be processed now.
        Assert.Equal(3, replay.Count("processed"));
        Assert.Equal(7, replay.Count("duplicate"));
        Assert.Equal(1, replay.Count("conflict"));
        Assert.Equal(1, replay.Count("invalid"));
        Assert.Equal(1, world.DeliveriesByKey()["evt-5"]);
    }

    [Fact]
    public async Task Replay_EveryInputShapeAndAMix_RunsEachEventOnceAsItWasWritten()
    {
        await using var world = await CliWorld.StartAsync("redis");
        var events = Enumerable.Range(0, 14).Select(_ => Encoding.UTF8.GetString(EventBuilder.UniqueGenesysEvent())).ToArray();
        var files = new[]
        {
            world.Write("lines.jsonl", $"{events[0]}\n{events[1]}\n"),
            world.Write("array.json", $"[\n  {events[2]},\n  {events[3]}\n]\n"),
            world.Write("receive-message.json", ReceiveMessageDump(events[4], events[5])),
            world.Write("on-failure-eventbridge.json", OnFailureRecord(events[6])),
            world.Write("on-failure-sqs-batch.json", OnFailureRecord(SqsBatch(events[7], events[8]))),
            world.Write("on-failure-queue.json", ReceiveMessageDump(OnFailureRecord(events[9]))),
            world.Write("on-failure-bus.json",
                $$"""{"version":"0","id":"7d2b5c1e-0000-4000-8000-000000000001","detail-type":"Lambda Function Invocation Result - Failure","source":"lambda","account":"123456789012","time":"2026-12-01T09:00:00Z","region":"eu-west-1","resources":[],"detail":{{OnFailureRecord(events[10])}}}"""),
            world.Write("mixed.jsonl", string.Join('\n', events[11], Compact(ReceiveMessageDump(events[12])), Compact(OnFailureRecord(events[13])), events[0]) + "\n"),
        };

        var replay = await world.RunAsync(["replay", .. files, "--json"]);

        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Equal(14, replay.Count("processed"));
        Assert.Equal(1, replay.Count("duplicate"));
        Assert.Equal(
            events.Order(StringComparer.Ordinal),
            world.Downstream.Deliveries.Select(d => Encoding.UTF8.GetString(d.Body)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Replay_BadInput_IsReportedWithFileAndLineAndTheOtherEventsRun()
    {
        await using var world = await CliWorld.StartAsync("redis");
        var good = Enumerable.Range(0, 3).Select(_ => Encoding.UTF8.GetString(EventBuilder.UniqueGenesysEvent())).ToArray();
        var tooDeep = new string('[', 70) + new string(']', 70);
        var bad = world.Write("bad.jsonl", string.Join('\n',
            good[0],
            "{\"detail\": {\"event_id\": ",
            good[1],
            "\"just a string\"",
            """{"Messages":[{"MessageId":"m-1","Body":"not json"}]}""",
            """{"Messages":[{"MessageId":"m-2"}]}""",
            "{\"detail\":{\"event_id\":\"deep\",\"data\":" + tooDeep + "}}",
            good[2]) + "\n");

        var replay = await world.RunAsync("replay", bad, "missing.jsonl", "--json");

        Assert.True(replay.ExitCode == 1, replay.ToString());
        Assert.Equal(3, replay.Count("processed"));
        Assert.Equal(3, world.Downstream.Deliveries.Count);
        var reported = replay.Json.GetProperty("events").EnumerateArray()
            .Select(e => $"{e.GetProperty("file").GetString()}:{e.GetProperty("line").GetInt32()} {e.GetProperty("outcome").GetString()} {e.GetProperty("detail").GetString()}")
            .ToList();
        Assert.Collection(
            reported,
            r => Assert.StartsWith("bad.jsonl:2 invalid malformed JSON", r, StringComparison.Ordinal),
            r => Assert.StartsWith("bad.jsonl:4 invalid unknown shape: the value is a JSON string", r, StringComparison.Ordinal),
            r => Assert.StartsWith("bad.jsonl:5 invalid malformed JSON in Messages[0].Body", r, StringComparison.Ordinal),
            r => Assert.StartsWith("bad.jsonl:6 invalid unknown shape: Messages[0].Body is missing", r, StringComparison.Ordinal),
            r => Assert.StartsWith("bad.jsonl:7 invalid", r, StringComparison.Ordinal),
            r => Assert.StartsWith("missing.jsonl:0 invalid cannot read the file", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replay_HandlerFails_ExitsOneAndTheNextRunProcessesTheEvent()
    {
        await using var world = await CliWorld.StartAsync("redis");
        var file = world.WriteLines("one.jsonl", [EventBuilder.Tutorial("evt-fails")]);
        world.Downstream.AnswerNext("evt-fails", HttpStatusCode.InternalServerError);

        var failed = await world.RunAsync("replay", file);
        var again = await world.RunAsync("replay", file);

        Assert.True(failed.ExitCode == 1, failed.ToString());
        Assert.Contains("one.jsonl:1\tfailed\tevt-fails", failed.Output, StringComparison.Ordinal);
        Assert.Matches(@"│ failed\s+│\s+1 │", failed.Output);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Matches(@"│ processed\s+│\s+1 │", again.Output);
        Assert.Equal(2, world.DeliveriesByKey()["evt-fails"]);
    }

    [Theory]
    [InlineData("replay")]
    [InlineData("replay", "x.jsonl", "--rate", "0")]
    [InlineData("replay", "x.jsonl", "--set", "Dedup:Namespace")]
    [InlineData("--store", "nosuch", "replay", "x.jsonl")]
    [InlineData("frobnicate")]
    public async Task Cli_UsageOrConfigurationError_ExitsTwo(params string[] args)
    {
        await using var world = await CliWorld.StartAsync("redis");
        world.WriteLines("x.jsonl", [EventBuilder.Tutorial("evt-x")]);

        var result = await world.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.False(string.IsNullOrWhiteSpace(result.Error));
        Assert.Empty(world.Downstream.Deliveries);
    }

    private static string ReceiveMessageDump(params string[] bodies) =>
        "{\n    \"Messages\": [\n" + string.Join(",\n", bodies.Select((body, i) => $$"""
                {
                    "MessageId": "5fea7756-0ea4-451a-a703-a558b933e27{{i}}",
                    "ReceiptHandle": "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...",
                    "MD5OfBody": "fafb00f5732ab283681e124bf8747ed1",
                    "Body": {{JsonSerializer.Serialize(body)}}
                }
        """)) + "\n    ]\n}\n";

    private static string OnFailureRecord(string payload) => $$"""
        {
            "version": "1.0",
            "timestamp": "2026-12-01T09:00:00.000Z",
            "requestContext": {
                "requestId": "e4b46cbf-b738-4a5e-8880-a18cdf61200e",
                "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:genesys-dedup:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3
            },
            "requestPayload": {{payload}},
            "responseContext": { "statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled" },
            "responsePayload": { "errorType": "GenesysDedup.StoreUnavailable", "errorMessage": "dedup store unavailable during claim" }
        }
        """;

    private static string SqsBatch(params string[] bodies) =>
        "{\"Records\":[" + string.Join(",", bodies.Select((body, i) => $$"""
            {"messageId":"m-{{i}}","receiptHandle":"r-{{i}}","body":{{JsonSerializer.Serialize(body)}},"attributes":{"ApproximateReceiveCount":"1"},"messageAttributes":{},"md5OfBody":"x","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:eu-west-1:123456789012:events","awsRegion":"eu-west-1"}
            """)) + "]}";

    // The templates' own indentation removed; the events inside are single lines and stay as written.
    private static string Compact(string json) => string.Concat(json.Split('\n').Select(line => line.Trim()));
}
