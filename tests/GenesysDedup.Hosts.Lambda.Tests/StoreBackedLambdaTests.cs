using System.Net;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// The host's happy paths with each distributed store, chosen by configuration alone, against a real server:
/// an EventBridge event then its re-publish, a failing handler then its retry, and an SQS batch.
/// </summary>
#pragma warning disable CA1001 // xunit disposes it through IAsyncLifetime.DisposeAsync.
public abstract class StoreBackedLambdaTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private LambdaHarness? _harness;

    private LambdaHarness Harness => _harness ?? throw new InvalidOperationException("not started");

    protected abstract Task<Dictionary<string, string?>> StoreSettingsAsync();

    public async Task InitializeAsync() => _harness = await LambdaHarness.StartAsync(await StoreSettingsAsync());

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }

    [Fact]
    public async Task Invoke_NewThenRepublished_IsProcessedThenDuplicate()
    {
        var body = EventBuilder.UniqueGenesysEvent();

        var first = await Harness.InvokeAsync(body);
        var again = await Harness.InvokeAsync(EventBuilder.Republish(body));

        Assert.Equal("processed", first.Member("outcome"));
        Assert.Equal("duplicate", again.Member("outcome"));
        Assert.Single(Harness.Downstream.DeliveriesOf(first.Member("key")!));
    }

    [Fact]
    public async Task Invoke_HandlerFails_IsAnErrorThenTheRetryIsProcessed()
    {
        var eventId = $"evt-{Guid.NewGuid():N}";
        Harness.Downstream.AnswerNext(eventId, HttpStatusCode.InternalServerError);

        var failed = await Harness.InvokeAsync(EventBuilder.Tutorial(eventId));
        var retried = await Harness.InvokeAsync(EventBuilder.Tutorial(eventId));

        Assert.Equal("GenesysDedup.Failed", failed.ErrorType);
        Assert.Equal("processed", retried.Member("outcome"));
        Assert.Equal(2, Harness.Downstream.DeliveriesOf(eventId).Count);
    }

    [Fact]
    public async Task Invoke_SqsBatch_ProcessesEachEventOnce_AndReportsNoFailures()
    {
        var genesys = EventBuilder.UniqueGenesysEvent();
        var tutorialId = $"evt-{Guid.NewGuid():N}";
        var batch = new SqsBatchBuilder();
        batch.Add(genesys);
        batch.Add(EventBuilder.Tutorial(tutorialId));
        batch.Add(EventBuilder.Republish(genesys));

        var reply = await Harness.InvokeAsync(batch.Build());

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        Assert.Empty(SqsBatchBuilder.FailedIds(reply.Json));
        Assert.Single(Harness.Downstream.DeliveriesOf(tutorialId));
        Assert.Single(Harness.Downstream.Deliveries, d => d.Key is not null && d.Key.StartsWith("sha256:", StringComparison.Ordinal));
    }
}

public sealed class RedisLambdaTests : StoreBackedLambdaTests
{
    protected override async Task<Dictionary<string, string?>> StoreSettingsAsync() =>
        StoreSettings.Redis(await RedisServer.GetSharedAsync(), $"lambda-test-{Guid.NewGuid():N}:").AsEnvironment();
}

public sealed class DynamoDbLambdaTests : StoreBackedLambdaTests
{
    protected override Task<Dictionary<string, string?>> StoreSettingsAsync() =>
        Task.FromResult(StoreSettings.DynamoDb(DynaliteServer.Shared.ServiceUrl, $"lambda-test-{Guid.NewGuid():N}").AsEnvironment());
}
