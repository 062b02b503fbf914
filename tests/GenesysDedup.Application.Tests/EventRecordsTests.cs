using System.Text;
using GenesysDedup.Domain;
using GenesysDedup.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GenesysDedup.Application.Tests;

/// <summary>Operators' look-up and removal by the key the engine reports, over the real engine and memory store.</summary>
public sealed class EventRecordsTests
{
    [Fact]
    public async Task Find_FingerprintKeyedEvent_IsFoundUnderTheFingerprintSource()
    {
        await using var engine = EngineHarness.Create();
        var processed = await engine.SendAsync(EventBuilder.UniqueGenesysEvent());

        var found = await Records(engine).FindAsync(processed.Key!);

        Assert.NotNull(found);
        Assert.Equal("fingerprint", found.KeySource);
        Assert.Equal(string.Empty, found.Namespace);
        Assert.Equal(DedupRecordStatus.Completed, found.Record.Status);
        Assert.Equal(engine.Clock.GetUtcNow() + EngineHarness.Retention, found.Record.ExpiresAt);
    }

    [Fact]
    public async Task Find_PathKeyedEvent_IsFoundUnderItsSource()
    {
        await using var engine = EngineHarness.Create();
        await engine.SendAsync(EventBuilder.Tutorial("order-42"));

        var found = await Records(engine).FindAsync("order-42");

        Assert.Equal("detail.event_id", found?.KeySource);
    }

    [Fact]
    public async Task Find_NoNamespaceGiven_LooksInDedupNamespaceOnly()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?> { ["Dedup:Namespace"] = "crm" });
        await engine.SendAsync(EventBuilder.Tutorial("order-42"));
        var records = Records(engine);

        Assert.Equal("crm", (await records.FindAsync("order-42"))?.Namespace);
        Assert.NotNull(await records.FindAsync("order-42", "crm"));
        Assert.Null(await records.FindAsync("order-42", string.Empty));
        Assert.False(await records.RemoveAsync("order-42", "billing"));
    }

    [Fact]
    public async Task Find_PastRetentionByTheEngineClock_IsNull()
    {
        await using var engine = EngineHarness.Create();
        await engine.SendAsync(EventBuilder.Tutorial("order-42"));

        engine.Clock.Advance(EngineHarness.Retention);

        Assert.Null(await Records(engine).FindAsync("order-42"));
    }

    [Fact]
    public async Task Remove_KeyUnderTwoSources_RemovesBothAndBothRunAgain()
    {
        await using var engine = EngineHarness.Create(new Dictionary<string, string?>
        {
            ["Dedup:KeySources:0"] = "detail.event_id",
            ["Dedup:KeySources:1"] = "detail.order_id",
        });
        var byEventId = Encoding.UTF8.GetBytes("""{"detail":{"event_id":"42"}}""");
        var byOrderId = Encoding.UTF8.GetBytes("""{"detail":{"order_id":"42"}}""");
        await engine.SendAsync(byEventId);
        await engine.SendAsync(byOrderId);
        var records = Records(engine);

        Assert.True(await records.RemoveAsync("42"));

        Assert.Null(await records.FindAsync("42"));
        Assert.Equal(DedupOutcome.Processed, (await engine.SendAsync(byEventId)).Outcome);
        Assert.Equal(DedupOutcome.Processed, (await engine.SendAsync(byOrderId)).Outcome);
        Assert.Equal(4, engine.Handler.TotalRuns);
    }

    [Fact]
    public async Task FindAndRemove_KeyLongerThanAnyTheEngineStores_AnswerNoneWithoutAStoreCall()
    {
        await using var engine = EngineHarness.Create();
        engine.Store.Down = true;
        var records = Records(engine);

        Assert.Null(await records.FindAsync(new string('k', 513)));
        Assert.False(await records.RemoveAsync(new string('k', 513)));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => records.FindAsync(new string('k', 512)).AsTask());
    }

    [Theory]
    [InlineData("a:b")]
    [InlineData("with space")]
    [InlineData("a-namespace-that-is-longer-than-sixty-four-characters-which-no-host-can-hold")]
    public async Task FindAndRemove_NamespaceDedupNamespaceCouldNotHold_ThrowNamingTheRule(string keyNamespace)
    {
        await using var engine = EngineHarness.Create();
        var records = Records(engine);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => records.FindAsync("k", keyNamespace).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => records.RemoveAsync("k", keyNamespace).AsTask());

        Assert.Contains("Dedup:Namespace", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FindAndRemove_StoreDown_ThrowUnavailable()
    {
        await using var engine = EngineHarness.Create();
        engine.Store.Down = true;
        var records = Records(engine);

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => records.FindAsync("k").AsTask());
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => records.RemoveAsync("k").AsTask());
    }

    private static IEventRecords Records(EngineHarness engine) => engine.Services.GetRequiredService<IEventRecords>();
}
