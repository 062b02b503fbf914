using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Stores.DynamoDb;
using GenesysDedup.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace GenesysDedup.Stores.Tests.DynamoDb;

/// <summary>The engine on a real DynamoDB-compatible server that stops answering (through <see cref="StallingTcpProxy"/>).</summary>
public sealed class DynamoDbEngineTests
{
    [Fact]
    public async Task Send_ServerStalls_IsStoreUnavailableAtTheBudget_ThenTheEventIsProcessedOnce()
    {
        await using var proxy = StallingTcpProxy.Start(DynaliteServer.Shared.ServiceUrl.Port);
        using var client = DynamoDbTestServer.NewClient(new Uri($"http://127.0.0.1:{proxy.Port}/"));
        var table = DynamoDbTestServer.NewTableName();
        await DynamoDbTestServer.CreateTableAsync(client, table);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        using var handler = new ControllableHandler();
        await using var engine = EngineOnStore.Create(
            builder => builder.Services.Replace(ServiceDescriptor.Singleton<IDedupStore>(new DynamoDbDedupStore(client, table))),
            clock,
            handler,
            new() { ["Dedup:StoreTimeout"] = "00:00:01" });
        Assert.Equal(DedupOutcome.Processed, (await engine.SendAsync(EventBuilder.UniqueGenesysEvent())).Outcome);
        var body = EventBuilder.UniqueGenesysEvent();

        var unavailable = await engine.SendWhileStalledAsync(body, proxy, clock, TimeSpan.FromSeconds(1));

        // The abandoned PutItem and the retry's travel on different connections, so either may reach the server
        // first: the retry finds the abandoned claim (in_progress until its lease lapses) or wins outright.
        var retry = await engine.SendAsync(EventBuilder.Republish(body));
        if (retry.Outcome == DedupOutcome.InProgress)
        {
            clock.Advance(EngineOnStore.Lease + TimeSpan.FromSeconds(1));
            retry = await engine.SendAsync(EventBuilder.Republish(body));
        }

        Assert.Equal(DedupOutcome.StoreUnavailable, unavailable.Outcome);
        Assert.Equal(DedupOutcome.Processed, retry.Outcome);
        Assert.Equal(DedupOutcome.Duplicate, (await engine.SendAsync(EventBuilder.Republish(body))).Outcome);
        Assert.Equal(2, handler.TotalRuns); // the warm-up event and this one, once
    }
}
