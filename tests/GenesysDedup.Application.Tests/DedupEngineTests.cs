using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json.Nodes;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using GenesysDedup.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GenesysDedup.Application.Tests;

public sealed class DedupEngineTests
{
    [Fact]
    public async Task Process_NewEvent_RunsHandlerOnceAndIsProcessed()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();

        var result = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.Processed, result.Outcome);
        Assert.StartsWith("sha256:", result.Key);
        Assert.NotNull(result.EventId);
        Assert.Equal(1, engine.Handler.RunsOf(result.Key!));
    }

    [Fact]
    public async Task Process_Republish_IsDuplicateAndHandlerDoesNotRunAgain()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        var first = await engine.SendAsync(body);

        var again = await engine.SendAsync(EventBuilder.Republish(body));

        Assert.Equal(DedupOutcome.Duplicate, again.Outcome);
        Assert.Equal(first.Key, again.Key);
        Assert.Equal(1, engine.Handler.TotalRuns);
    }

    [Theory]
    [InlineData("detail.event_id", DedupOutcome.Processed, 2)] // the default sources
    [InlineData("eventbody-fingerprint", DedupOutcome.Duplicate, 1)]
    public async Task Process_ConversationSummaryPair_TwoEventsUnlessKeyedOnTheBodyAlone(string firstSource, DedupOutcome second, int runs)
    {
        // Two real notifications whose topicName and eventBody are byte-identical: only CorrelationId tells them
        // apart. The default keeps both; the opt-in eventbody-fingerprint merges them, as its operator chose.
        await using var engine = EngineHarness.Create(new Dictionary<string, string?>
        {
            ["Dedup:KeySources:0"] = firstSource,
            ["Dedup:KeySources:1"] = "fingerprint",
        });

        var callA = await engine.SendAsync(Samples.Bytes(Samples.ConversationSummaryCallA));
        var callB = await engine.SendAsync(Samples.Bytes(Samples.ConversationSummaryCallB));

        Assert.Equal(DedupOutcome.Processed, callA.Outcome);
        Assert.Equal(second, callB.Outcome);
        Assert.Equal(second == DedupOutcome.Duplicate, callA.Key == callB.Key);
        Assert.Equal(runs, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_ConversationSummaryCounterChanged_IsANewEvent()
    {
        await using var engine = EngineHarness.Create();
        var original = Samples.Bytes(Samples.ConversationSummaryCallA);
        var changed = JsonNode.Parse(EventBuilder.Republish(original))!;
        changed["detail"]!["eventBody"]!["call"]!["contactCenter"]!["acw"] = 1;

        var first = await engine.SendAsync(original);
        var second = await engine.SendAsync(Encoding.UTF8.GetBytes(changed.ToJsonString()));

        Assert.Equal(DedupOutcome.Processed, second.Outcome);
        Assert.NotEqual(first.Key, second.Key);
    }

    [Fact]
    public async Task Process_HandlerKeepsTheEvent_ItStaysReadableAfterManyLaterEvents()
    {
        await using var engine = EngineHarness.Create();
        engine.Handler.KeepsEvents = true;
        var bodies = Enumerable.Range(0, 200).Select(i => EventBuilder.UniqueGenesysEvent($"kept-{i}")).ToList();

        foreach (var body in bodies)
        {
            Assert.Equal(DedupOutcome.Processed, (await engine.SendAsync(body)).Outcome);
        }

        var kept = engine.Handler.Kept.ToList();
        Assert.Equal(bodies.Count, kept.Count);
        for (var i = 0; i < bodies.Count; i++)
        {
            Assert.Equal(bodies[i], kept[i].Utf8Json.ToArray());
            Assert.Equal($"kept-{i}", kept[i].Root.GetProperty("detail").GetProperty("eventBody").GetProperty("id").GetString());
        }
    }

    [Fact]
    public async Task Process_HandlerFails_IsFailedAndTheRetryProcessesIt()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.Tutorial("evt-fails-once");
        engine.Handler.FailNext("evt-fails-once");

        var failed = await engine.SendAsync(body);
        var retried = await engine.SendAsync(body);
        var afterwards = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.Failed, failed.Outcome);
        Assert.Contains("InvalidOperationException", failed.Detail);
        Assert.Equal(DedupOutcome.Processed, retried.Outcome);
        Assert.Equal(DedupOutcome.Duplicate, afterwards.Outcome);
        Assert.Equal(2, engine.Handler.RunsOf("evt-fails-once"));
    }

    [Fact]
    public async Task Process_WhileAnotherDeliveryRuns_IsInProgressWithRetryAfterToLeaseExpiry()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        engine.Handler.CloseGate();
        var first = engine.SendAsync(body);
        await engine.Handler.WaitForArrivalAsync();
        engine.Clock.Advance(TimeSpan.FromSeconds(20));

        var second = await engine.SendAsync(EventBuilder.Republish(body));

        Assert.Equal(DedupOutcome.InProgress, second.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(40), second.RetryAfter);
        engine.Handler.OpenGate();
        Assert.Equal(DedupOutcome.Processed, (await first).Outcome);
        Assert.Equal(1, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_RetryAfterLeaseNearlyLapsed_IsAtLeastOneSecond()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        engine.Handler.CloseGate();
        var first = engine.SendAsync(body);
        await engine.Handler.WaitForArrivalAsync();
        engine.Clock.Advance(EngineHarness.Lease - TimeSpan.FromMilliseconds(10));

        var second = await engine.SendAsync(body);

        Assert.Equal(TimeSpan.FromSeconds(1), second.RetryAfter);
        engine.Handler.OpenGate();
        await first;
    }

    [Fact]
    public async Task Process_RepublishWhileTheOriginalRuns_WaitsAndIsDuplicateOnceItCompletes()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:InProgressWait"] = "00:00:02" });
        var body = EventBuilder.UniqueGenesysEvent();
        var original = await engine.SendHeldAsync(body);

        var republish = engine.SendAsync(EventBuilder.Republish(body)); // found in_progress: waits on the clock
        var waiting = !republish.IsCompleted;
        engine.Handler.OpenGate();
        Assert.Equal(DedupOutcome.Processed, (await original).Outcome);
        engine.Clock.Advance(TimeSpan.FromMilliseconds(20)); // the first re-read

        Assert.True(waiting);
        Assert.Equal(DedupOutcome.Duplicate, (await republish).Outcome);
        Assert.Equal(1, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_RepublishWhileTheOriginalOutlastsTheWait_IsInProgressWithRetryAfterFromTheAnswer()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:InProgressWait"] = "00:00:02" });
        var body = EventBuilder.UniqueGenesysEvent();
        var original = await engine.SendHeldAsync(body);

        var republish = engine.SendAsync(EventBuilder.Republish(body));
        engine.Clock.Advance(TimeSpan.FromSeconds(2));
        var answer = await republish;

        Assert.Equal(DedupOutcome.InProgress, answer.Outcome);
        Assert.Equal(EngineHarness.Lease - TimeSpan.FromSeconds(2), answer.RetryAfter);
        engine.Handler.OpenGate();
        Assert.Equal(DedupOutcome.Processed, (await original).Outcome);
        Assert.Equal(1, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_RepublishWhileTheOriginalFails_WaitsAndRunsTheHandlerItself()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:InProgressWait"] = "00:00:02" });
        var body = EventBuilder.Tutorial("evt-wait-release");
        engine.Handler.FailNext("evt-wait-release");
        var original = await engine.SendHeldAsync(body);

        var republish = engine.SendAsync(body);
        engine.Handler.OpenGate();
        Assert.Equal(DedupOutcome.Failed, (await original).Outcome); // released
        engine.Clock.Advance(TimeSpan.FromMilliseconds(20));

        Assert.Equal(DedupOutcome.Processed, (await republish).Outcome);
        Assert.Equal(2, engine.Handler.RunsOf("evt-wait-release"));
    }

    [Fact]
    public async Task Process_SenderGivesUpDuringTheWait_IsInProgress()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:InProgressWait"] = "00:00:02" });
        var body = EventBuilder.UniqueGenesysEvent();
        var original = await engine.SendHeldAsync(body);
        using var gaveUp = new CancellationTokenSource();

        var republish = engine.Services.GetRequiredService<IEventDeduplicator>().ProcessAsync(body, gaveUp.Token).AsTask();
        await gaveUp.CancelAsync();

        Assert.Equal(DedupOutcome.InProgress, (await republish).Outcome);
        engine.Handler.OpenGate();
        await original;
    }

    [Fact]
    public async Task Process_AnotherOwnersLeaseLapsedWithinTheClockSkew_IsInProgress_AndPastItIsTakenOver()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:ClockSkew"] = "00:00:05" });
        var body = EventBuilder.UniqueGenesysEvent();
        var stalled = await engine.SendHeldAsync(body);

        engine.Clock.Advance(EngineHarness.Lease + TimeSpan.FromSeconds(1));
        var withinSkew = await engine.SendAsync(EventBuilder.Republish(body));
        engine.Clock.Advance(TimeSpan.FromSeconds(5));
        var takeover = engine.SendAsync(EventBuilder.Republish(body));
        await engine.Handler.WaitForArrivalAsync();
        engine.Handler.OpenGate();

        Assert.Equal(DedupOutcome.InProgress, withinSkew.Outcome);
        Assert.Equal(DedupOutcome.Processed, (await takeover).Outcome);
        await stalled;
        Assert.Equal(2, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_AfterCrashedDeliveryLeaseLapses_TakesOverAndFencesTheStaleOwner()
    {
        await using var engine = EngineHarness.Create();
        using var leaseLost = new CounterProbe(DedupMetrics.MeterName, "genesys_dedup.lease_lost");
        var body = EventBuilder.UniqueGenesysEvent();
        engine.Handler.CloseGate();
        var stalled = engine.SendAsync(body);
        await engine.Handler.WaitForArrivalAsync();

        engine.Clock.Advance(EngineHarness.Lease + TimeSpan.FromSeconds(1));
        var takeover = engine.SendAsync(EventBuilder.Republish(body));
        await engine.Handler.WaitForArrivalAsync();
        engine.Handler.OpenGate();

        // Whichever finishes first, the stalled delivery's completion is fenced off: the key belongs to the takeover.
        Assert.Equal(DedupOutcome.Processed, (await takeover).Outcome);
        Assert.Equal(DedupOutcome.Processed, (await stalled).Outcome);
        Assert.Equal(1, leaseLost.Total);
        Assert.Equal(DedupOutcome.Duplicate, (await engine.SendAsync(body)).Outcome);
        Assert.Equal(2, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_AfterRetention_IsProcessedAgain_AndJustBefore_IsDuplicate()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        await engine.SendAsync(body);

        engine.Clock.Advance(EngineHarness.Retention - TimeSpan.FromSeconds(1));
        var before = await engine.SendAsync(body);
        engine.Clock.Advance(TimeSpan.FromSeconds(2));
        var after = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.Duplicate, before.Outcome);
        Assert.Equal(DedupOutcome.Processed, after.Outcome);
        Assert.Equal(2, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_SameEventIdDifferentContent_IsConflict()
    {
        await using var engine = EngineHarness.Create();
        var first = await engine.SendAsync(EventBuilder.Tutorial("evt-42", "gold"));

        var other = await engine.SendAsync(EventBuilder.Tutorial("evt-42", "silver"));
        var same = await engine.SendAsync(EventBuilder.Tutorial("evt-42", "gold"));

        Assert.Equal(DedupOutcome.Processed, first.Outcome);
        Assert.Equal("evt-42", first.Key);
        Assert.Equal(DedupOutcome.Conflict, other.Outcome);
        Assert.Equal(DedupOutcome.Duplicate, same.Outcome);
        Assert.Equal(1, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_StoreDownAtClaim_IsStoreUnavailableAndNothingRuns_ThenRecovers()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        engine.Store.Down = true;

        var during = await engine.SendAsync(body);
        engine.Store.Down = false;
        var after = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.StoreUnavailable, during.Outcome);
        Assert.NotNull(during.RetryAfter);
        Assert.Equal(DedupOutcome.Processed, after.Outcome);
        Assert.Equal(1, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_StoreDown_LogsOneWarningPerDeliveryWithTheStoresMessageAndNoStackTrace()
    {
        var logs = new CapturingLoggerProvider();
        await using var engine = EngineHarness.Create(logs: logs);
        engine.Store.Down = true;

        var result = await engine.SendAsync(EventBuilder.UniqueGenesysEvent());

        var line = Assert.Single(logs.Lines, l => !l.StartsWith("Debug", StringComparison.Ordinal));
        Assert.StartsWith("Warning", line, StringComparison.Ordinal);
        Assert.Contains("store_unavailable", line, StringComparison.Ordinal);
        Assert.Contains(result.Exception!.Message, line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_HandlerFails_LogsOneWarningWithTheHandlersExceptionAndReturnsIt()
    {
        var logs = new CapturingLoggerProvider();
        await using var engine = EngineHarness.Create(logs: logs);
        var body = EventBuilder.Tutorial("evt-fails-logged");
        engine.Handler.FailNext("evt-fails-logged");

        var result = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.Failed, result.Outcome);
        Assert.Equal("handler told to fail", Assert.IsType<InvalidOperationException>(result.Exception).Message);
        var line = Assert.Single(logs.Lines, l => !l.StartsWith("Debug", StringComparison.Ordinal));
        Assert.StartsWith("Warning", line, StringComparison.Ordinal);
        Assert.Contains("handler told to fail", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_StoreDownAtCompletion_IsNotAcknowledged_AndTheRetryAfterTheLeaseRunsAgain()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        engine.Store.CompletionsDown = true;

        var during = await engine.SendAsync(body);
        engine.Store.CompletionsDown = false;
        var blocked = await engine.SendAsync(body);
        engine.Clock.Advance(EngineHarness.Lease + TimeSpan.FromSeconds(1));
        var retried = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.StoreUnavailable, during.Outcome);
        Assert.Equal(DedupOutcome.InProgress, blocked.Outcome);
        Assert.Equal(DedupOutcome.Processed, retried.Outcome);
        Assert.Equal(2, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_HandlerFailsWhileStoreDown_IsFailedAndTheClaimLapsesForTheRetry()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.Tutorial("evt-release-down");
        engine.Handler.FailNext("evt-release-down");
        engine.Handler.CloseGate();
        var first = engine.SendAsync(body);
        await engine.Handler.WaitForArrivalAsync();
        engine.Store.Down = true;
        engine.Handler.OpenGate();

        var failed = await first;
        engine.Store.Down = false;
        engine.Clock.Advance(EngineHarness.Lease + TimeSpan.FromSeconds(1));
        var retried = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.Failed, failed.Outcome);
        Assert.Equal(DedupOutcome.Processed, retried.Outcome);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("")]
    [InlineData("{\"detail\":{\"n\":1e400}}")]
    public async Task Process_BadInput_IsInvalidAndNothingRuns(string body)
    {
        await using var engine = EngineHarness.Create();

        var result = await engine.SendAsync(Encoding.UTF8.GetBytes(body));

        Assert.Equal(DedupOutcome.Invalid, result.Outcome);
        Assert.False(string.IsNullOrWhiteSpace(result.Detail));
        Assert.Equal(0, engine.Handler.TotalRuns);
        Assert.Equal(0, ((MemoryDedupStore)engine.Store.Inner).Count);
    }

    [Fact]
    public async Task Process_SixteenConcurrentDeliveries_RunTheHandlerOnce()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        using var start = new ManualResetEventSlim();

        var deliveries = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            var copy = i % 2 == 0 ? body : EventBuilder.Republish(body);
            start.Wait();
            return await engine.SendAsync(copy);
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(deliveries);

        Assert.Equal(1, engine.Handler.TotalRuns);
        Assert.Single(results, r => r.Outcome == DedupOutcome.Processed);
        Assert.All(results, r => Assert.Contains(r.Outcome, new[] { DedupOutcome.Processed, DedupOutcome.Duplicate, DedupOutcome.InProgress }));
    }

    [Fact]
    public async Task Process_TwoNamespacesSharingAStore_EachProcessTheEventOnce()
    {
        var shared = new MemoryDedupStore();
        await using var crm = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:Namespace"] = "crm" }, shared);
        await using var billing = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:Namespace"] = "billing" }, shared);
        var body = EventBuilder.UniqueGenesysEvent();

        Assert.Equal(DedupOutcome.Processed, (await crm.SendAsync(body)).Outcome);
        Assert.Equal(DedupOutcome.Processed, (await billing.SendAsync(body)).Outcome);
        Assert.Equal(DedupOutcome.Duplicate, (await crm.SendAsync(body)).Outcome);
        Assert.Equal(DedupOutcome.Duplicate, (await billing.SendAsync(body)).Outcome);
        Assert.Equal(2, shared.Count);
    }

    [Fact]
    public async Task Process_EmptyNamespacesKeyLooksLikeAnotherNamespacesKey_BothConsumersProcessTheirOwnEvent()
    {
        var shared = new MemoryDedupStore();
        await using var noNamespace = EngineHarness.Create(sharedStore: shared);
        await using var a = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:Namespace"] = "a" }, shared);

        var first = await noNamespace.SendAsync(EventBuilder.Tutorial("a:order-42", data: "gold"));
        var second = await a.SendAsync(EventBuilder.Tutorial("order-42", data: "silver"));

        Assert.Equal(DedupOutcome.Processed, first.Outcome);
        Assert.Equal(DedupOutcome.Processed, second.Outcome);
        Assert.Equal(1, a.Handler.RunsOf("order-42"));
    }

    [Fact]
    public async Task Process_PathKeyForgedAsAnotherEventsFingerprint_DoesNotBlockThatEvent()
    {
        await using var engine = EngineHarness.Create();
        var real = EventBuilder.UniqueGenesysEvent();
        var fingerprint = (await engine.SendAsync(real)).Key!;
        await using var fresh = EngineHarness.Create();

        var forged = await fresh.SendAsync(EventBuilder.Tutorial(fingerprint));
        var genuine = await fresh.SendAsync(real);

        Assert.Equal(DedupOutcome.Processed, forged.Outcome);
        Assert.Equal(fingerprint, forged.Key);
        Assert.Equal(DedupOutcome.Processed, genuine.Outcome);
        Assert.Equal(fingerprint, genuine.Key);
    }

    [Fact]
    public async Task Process_WithLeaseOverride_UsesItForTheClaim()
    {
        await using var engine = EngineHarness.Create();
        var body = EventBuilder.UniqueGenesysEvent();
        engine.Handler.CloseGate();
        var first = engine.SendAsync(body, lease: TimeSpan.FromSeconds(5));
        await engine.Handler.WaitForArrivalAsync();

        var second = await engine.SendAsync(body);

        Assert.Equal(TimeSpan.FromSeconds(5), second.RetryAfter);
        engine.Handler.OpenGate();
        await first;
    }

    [Fact]
    public async Task Process_WithConfiguredKeySource_KeysOnThatPath()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?>
        {
            ["Dedup:KeySources:0"] = "detail.metadata.CorrelationId",
            ["Dedup:KeySources:1"] = "fingerprint",
        });

        var result = await engine.SendAsync(Samples.Bytes(Samples.Audit));

        Assert.Equal("f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f", result.Key);
    }

    [Fact]
    public async Task Process_EventOverMaxEventBytes_IsInvalidNamingTheKeyAndNothingRuns()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:MaxEventBytes"] = "2048" });
        var body = EventBuilder.Transcription(2049, new Random(3));

        var result = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.Invalid, result.Outcome);
        Assert.Equal($"event is {body.Length} bytes; the limit is 2048 (Dedup:MaxEventBytes)", result.Detail);
        Assert.Equal(0, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task Process_MemoryStorePastItsBound_AnEvictedKeyIsProcessedAgain()
    {
        // The memory store's bound is the one memory of keys: an evicted key (counted in genesys_dedup.memory.evicted)
        // is processed again.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dedup:Memory:MaxEntries"] = "1" }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddGenesysDedup(configuration).UseMemoryStore().AddLogHandler();
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var sender = provider.GetRequiredService<IEventDeduplicator>();
        var first = EventBuilder.UniqueGenesysEvent();

        Assert.Equal(DedupOutcome.Processed, (await sender.ProcessAsync(first)).Outcome);
        Assert.Equal(DedupOutcome.Processed, (await sender.ProcessAsync(EventBuilder.UniqueGenesysEvent())).Outcome);
        Assert.Equal(DedupOutcome.Processed, (await sender.ProcessAsync(EventBuilder.Republish(first))).Outcome);
    }

    [Fact]
    public async Task Process_FloodPastTheMemoryBound_WarnsOnceAMinuteCountsEveryEvictionAndSaysSoAtStartUp()
    {
        var logs = new CapturingLoggerProvider();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dedup:Memory:MaxEntries"] = "100" }).Build();
        var services = new ServiceCollection().AddLogging(l => l.AddProvider(logs)).AddSingleton<IConfiguration>(configuration).AddSingleton<TimeProvider>(clock);
        services.AddGenesysDedup(configuration).UseMemoryStore().AddLogHandler();
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        using var evictions = new CounterProbe(DedupMetrics.MeterName, "genesys_dedup.memory.evicted");
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        var sender = provider.GetRequiredService<IEventDeduplicator>();
        var first = EventBuilder.UniqueGenesysEvent();
        await sender.ProcessAsync(first);
        for (var i = 0; i < 1_000; i++)
        {
            // Completions a moment apart, as in real traffic: the earliest to expire (the first event) goes first.
            clock.Advance(TimeSpan.FromMilliseconds(1));
            await sender.ProcessAsync(EventBuilder.UniqueGenesysEvent());
        }

        var warningsInTheFirstMinute = logs.Lines.Count(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("before their retention ended", StringComparison.Ordinal));
        clock.Advance(TimeSpan.FromMinutes(1));
        await sender.ProcessAsync(EventBuilder.UniqueGenesysEvent());
        var republished = await sender.ProcessAsync(EventBuilder.Republish(first));

        Assert.Equal(1, warningsInTheFirstMinute);
        Assert.Equal(2, logs.Lines.Count(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("before their retention ended", StringComparison.Ordinal)));
        Assert.True(evictions.Total >= 900, $"evictions counted: {evictions.Total}");
        Assert.Contains(logs.Lines, l => l.Contains("MaxEntries=100", StringComparison.Ordinal) && l.Contains("runs its handler again", StringComparison.Ordinal));
        Assert.Equal(DedupOutcome.Processed, republished.Outcome);
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Process_RepublishPastRetention_IsProcessedAgain()
    {
        await using var engine = EngineHarness.Create();
        var original = EventBuilder.UniqueGenesysEvent();
        await engine.SendAsync(original);
        engine.Clock.Advance(EngineHarness.Retention);

        var later = await engine.SendAsync(EventBuilder.Republish(original));

        Assert.Equal(DedupOutcome.Processed, later.Outcome);
        Assert.Equal(2, engine.Handler.TotalRuns);
    }

    [Theory]
    [InlineData("Dedup:Lease", "00:00:00", "Dedup:Lease")]
    [InlineData("Dedup:Retention", "00:00:00", "Dedup:Retention")]
    [InlineData("Dedup:Namespace", "has spaces!", "Dedup:Namespace")]
    [InlineData("Dedup:KeySources:0", "detail..bad", "Dedup:KeySources")]
    [InlineData("Dedup:StoreTimeout", "00:00:00", "Dedup:StoreTimeout")]
    [InlineData("Dedup:StoreTimeout", "1.00:00:00", "Dedup:StoreTimeout")]
    [InlineData("Dedup:InProgressWait", "-00:00:01", "Dedup:InProgressWait")]
    [InlineData("Dedup:InProgressWait", "01:00:00", "Dedup:InProgressWait")]
    [InlineData("Dedup:ClockSkew", "-00:00:01", "Dedup:ClockSkew")]
    [InlineData("Dedup:ClockSkew", "01:00:00", "Dedup:ClockSkew")]
    [InlineData("Dedup:MaxEventBytes", "1023", "Dedup:MaxEventBytes")]
    [InlineData("Dedup:MaxEventBytes", "16777217", "Dedup:MaxEventBytes")]
    public async Task Options_Invalid_FailAtStartupNamingTheKey(string key, string value, string named)
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?> { [key] = value });

        var error = Assert.ThrowsAny<Exception>(() => engine.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(named, AllMessages(error));
    }

    [Fact]
    public async Task Options_UnparsableDuration_FailsAtStartupNamingTheKey()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:Lease"] = "soon" });

        var error = Assert.ThrowsAny<Exception>(() => engine.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Dedup:Lease", AllMessages(error));
    }

    private static string AllMessages(Exception error) => error is AggregateException aggregate
        ? string.Join(" | ", aggregate.InnerExceptions.Select(AllMessages))
        : error.Message + (error.InnerException is { } inner ? " | " + AllMessages(inner) : string.Empty);

    /// <summary>Sums one counter of one meter while alive.</summary>
    private sealed class CounterProbe : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public CounterProbe(string meter, string instrument)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == meter && i.Name == instrument)
                {
                    l.EnableMeasurementEvents(i);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public void Dispose() => _listener.Dispose();
    }
}
