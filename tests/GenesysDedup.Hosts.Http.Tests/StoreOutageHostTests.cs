using System.Net;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// A real store server stops under a running host and comes back: every event during the outage is answered 503
/// with Retry-After (never acknowledged), readiness turns 503, and the same process recovers without a restart.
/// </summary>
public sealed class StoreOutageHostTests
{
    [Fact]
    public async Task Redis_StoppedThenRestarted_503ThenTheSameHostRecovers()
    {
        await using var server = await RedisServer.StartDedicatedAsync();
        await using var factory = new DedupHostFactory(StoreSettings.Redis(server));

        await AssertOutageAndRecoveryAsync(factory, server.StopAsync, server.RestartAsync);
    }

    [Fact]
    public async Task DynamoDb_StoppedThenRestarted_503ThenTheSameHostRecovers()
    {
        await using var server = await DynaliteServer.StartDedicatedAsync();
        var table = $"outage-{Guid.NewGuid():N}";
        await using var factory = new DedupHostFactory(StoreSettings.DynamoDb(server.ServiceUrl, table));

        await AssertOutageAndRecoveryAsync(factory, server.StopAsync, async () =>
        {
            await server.RestartAsync();
            // dynalite keeps tables in memory only: the restarted server needs the table again.
            using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("test", "test"), new AmazonDynamoDBConfig { ServiceURL = server.ServiceUrl.AbsoluteUri });
            await client.CreateTableAsync(new CreateTableRequest
            {
                TableName = table,
                BillingMode = BillingMode.PAY_PER_REQUEST,
                KeySchema = [new KeySchemaElement("EventId", KeyType.HASH)],
                AttributeDefinitions = [new AttributeDefinition("EventId", ScalarAttributeType.S)],
            });
        });
    }

    private static async Task AssertOutageAndRecoveryAsync(DedupHostFactory factory, Func<Task> stop, Func<Task> restart)
    {
        var client = factory.CreateClient();
        Assert.Equal("processed", await (await client.PostEventAsync(EventBuilder.UniqueGenesysEvent())).OutcomeAsync());

        await stop();
        var during = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.PostEventAsync(EventBuilder.UniqueGenesysEvent())));
        var readyDuring = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.All(during, response =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter?.Delta);
        });
        Assert.All(await Task.WhenAll(during.Select(r => r.OutcomeAsync())), outcome => Assert.Equal("store_unavailable", outcome));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyDuring.StatusCode);
        Assert.Equal(1, factory.Handler.TotalRuns);

        await restart();
        await LoopbackPort.WaitUntilAsync(
            async ct => (await client.GetAsync(new Uri("/health/ready", UriKind.Relative), ct)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30),
            () => "the host's readiness to return after the store restarted");
        var body = EventBuilder.UniqueGenesysEvent();
        var after = await client.PostEventAsync(body);
        var again = await client.PostEventAsync(body);

        Assert.Equal("processed", await after.OutcomeAsync());
        Assert.Equal("duplicate", await again.OutcomeAsync());
        Assert.Equal(2, factory.Handler.TotalRuns);
    }
}
