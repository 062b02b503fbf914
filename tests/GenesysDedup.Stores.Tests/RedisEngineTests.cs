using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace GenesysDedup.Stores.Tests;

/// <summary>
/// The engine on a real Redis server, where only the server's own behaviour shows the rule: a claim Redis expired
/// with its lease while the handler ran, and a server that stops answering (through <see cref="StallingTcpProxy"/>).
/// </summary>
public sealed class RedisEngineTests
{
    [Fact]
    public async Task Send_HandlerOutlivesTheLeaseThatRedisExpires_IsRecordedSoTheRedeliveryIsDuplicate()
    {
        // Real time on purpose: the point is Redis's own PX expiry of the claim (lease 2 s) under a 3 s handler.
        var server = await RedisServer.GetSharedAsync();
        var prefix = $"slow-handler-{Guid.NewGuid():N}:";
        await using var raw = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var keysLeftWhenTheHandlerEnded = -1;
        var handler = new SlowHandler(TimeSpan.FromSeconds(3), () => keysLeftWhenTheHandlerEnded = CountKeys(raw, prefix));
        await using var engine = Engine(server.Configuration, prefix, TimeProvider.System, handler, new() { ["Dedup:Lease"] = "00:00:02" });
        var body = EventBuilder.UniqueGenesysEvent();

        var first = await engine.SendAsync(body);
        var redelivery = await engine.SendAsync(EventBuilder.Republish(body));

        Assert.Equal(0, keysLeftWhenTheHandlerEnded); // the claim was gone before the completion
        Assert.Equal(DedupOutcome.Processed, first.Outcome);
        Assert.Equal(DedupOutcome.Duplicate, redelivery.Outcome);
        Assert.Equal(1, handler.Runs);
    }

    [Fact]
    public async Task Send_RedisStalls_IsStoreUnavailableAtTheBudget_AndTheLandedClaimBlocksOneLease()
    {
        await using var server = await RedisServer.StartDedicatedAsync();
        await using var proxy = StallingTcpProxy.Start(PortOf(server.Configuration));
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        using var handler = new ControllableHandler();
        // The client's own timeouts far beyond the budget, so only Dedup:StoreTimeout can end the stalled delivery.
        var configuration = $"127.0.0.1:{proxy.Port},asyncTimeout=600000,syncTimeout=600000";
        await using var engine = Engine(configuration, "stall:", clock, handler, new() { ["Dedup:StoreTimeout"] = "00:00:01" });
        Assert.Equal(DedupOutcome.Processed, (await engine.SendAsync(EventBuilder.UniqueGenesysEvent())).Outcome); // connected, scripts loaded
        var body = EventBuilder.UniqueGenesysEvent();

        var unavailable = await engine.SendWhileStalledAsync(body, proxy, clock, TimeSpan.FromSeconds(1));

        // One connection, in order: the abandoned claim has landed before this retry's commands run.
        var whileItsLeaseRuns = await engine.SendAsync(EventBuilder.Republish(body));
        clock.Advance(EngineOnStore.Lease + TimeSpan.FromSeconds(1));
        var afterItsLease = await engine.SendAsync(EventBuilder.Republish(body));
        var again = await engine.SendAsync(EventBuilder.Republish(body));

        Assert.Equal(DedupOutcome.StoreUnavailable, unavailable.Outcome);
        Assert.Equal(DedupOutcome.InProgress, whileItsLeaseRuns.Outcome);
        Assert.Equal(DedupOutcome.Processed, afterItsLease.Outcome);
        Assert.Equal(DedupOutcome.Duplicate, again.Outcome);
        Assert.Equal(2, handler.TotalRuns); // the warm-up event and this one, once
    }

    private static EngineOnStore Engine(string redis, string prefix, TimeProvider time, IDedupHandler handler, Dictionary<string, string?> settings)
    {
        settings["Dedup:Redis:Configuration"] = redis;
        settings["Dedup:Redis:KeyPrefix"] = prefix;
        return EngineOnStore.Create(builder => builder.UseRedisStore(), time, handler, settings);
    }

    private static int PortOf(string configuration) =>
        int.Parse(configuration[(configuration.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static int CountKeys(ConnectionMultiplexer raw, string prefix) =>
        raw.GetServers()[0].Keys(pattern: prefix + "*").Count();

    /// <summary>A handler that takes <c>delay</c> of real time, then runs <c>after</c>.</summary>
    private sealed class SlowHandler(TimeSpan delay, Action after) : IDedupHandler
    {
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public async ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _runs);
            await Task.Delay(delay, cancellationToken);
            after();
        }
    }
}
