using System.Text;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using GenesysDedup.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// The invocation handler in process, composed as the host composes it, with a fake clock, a handler that can fail
/// or block, and a store that can fail for one key: lease arithmetic, per-record isolation in SQS batches, and the
/// outcomes a single process cannot easily produce (in_progress, a store error in one record).
/// </summary>
public sealed class InvocationHandlerTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Now);
    private readonly ControllableHandler _handler = new();
    private readonly FaultyStore _store = new(new MemoryDedupStore());
    private readonly ServiceProvider _services;

    public InvocationHandlerTests()
    {
        var services = InProcessLambda.Compose();
        services.AddSingleton<TimeProvider>(_clock);
        services.AddSingleton<IDedupStore>(_store);
        services.AddSingleton<IDedupHandler>(_handler);
        _services = services.BuildServiceProvider();
        Handler = _services.GetRequiredService<InvocationHandler>();
    }

    private InvocationHandler Handler { get; }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _handler.Dispose();
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("00:00:01", 1)]
    public void ComposeServices_InProgressWait_IsZeroUnlessConfigured(string? configured, int expectedSeconds)
    {
        var settings = new Dictionary<string, string?> { ["Dedup:Store"] = "memory" };
        if (configured is not null)
        {
            settings["Dedup:InProgressWait"] = configured;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        Program.ComposeServices(services, configuration);
        using var provider = services.BuildServiceProvider();

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), provider.GetRequiredService<IOptions<DedupOptions>>().Value.InProgressWait);
    }

    [Fact]
    public void LeaseFor_Deadline_IsTheTimeLeftPlusTheMargin()
    {
        Assert.Equal(TimeSpan.FromSeconds(40), Handler.LeaseFor(Now + TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromMinutes(15) + InvocationHandler.LeaseMargin, Handler.LeaseFor(Now + TimeSpan.FromMinutes(15)));
        Assert.Equal(InvocationHandler.LeaseMargin, Handler.LeaseFor(Now - TimeSpan.FromSeconds(5)));
        Assert.Null(Handler.LeaseFor(null));
    }

    [Fact]
    public async Task Handle_EventBridgeEvent_ClaimsUntilTheDeadlinePlusTheMargin()
    {
        var deadline = Now + TimeSpan.FromSeconds(45);

        var result = await Handler.HandleAsync(Invocation(EventBuilder.UniqueGenesysEvent(), deadline));

        Assert.NotNull(result.Response);
        var claim = Assert.Single(_store.Claims);
        Assert.Equal(deadline + InvocationHandler.LeaseMargin, claim.LeaseExpiresAt);
    }

    [Fact]
    public async Task Handle_EventWithoutDeadline_UsesDedupLease()
    {
        await Handler.HandleAsync(Invocation(EventBuilder.UniqueGenesysEvent(), deadline: null));

        Assert.Equal(Now + TimeSpan.FromMinutes(1), Assert.Single(_store.Claims).LeaseExpiresAt);
    }

    [Fact]
    public async Task Handle_SameEventWhileTheFirstIsRunning_IsAnInProgressError()
    {
        var body = EventBuilder.UniqueGenesysEvent();
        _handler.CloseGate();
        var first = Handler.HandleAsync(Invocation(body));
        await _handler.WaitForArrivalAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var second = await Handler.HandleAsync(Invocation(EventBuilder.Republish(body)));
        _handler.OpenGate();
        var firstResult = await first.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ErrorTypes.InProgress, second.Error?.Type);
        Assert.StartsWith("in_progress: ", second.Error?.Message, StringComparison.Ordinal);
        Assert.NotNull(firstResult.Response);
        Assert.Equal(1, _handler.TotalRuns);
    }

    [Fact]
    public async Task Handle_StoreDown_IsAStoreUnavailableError()
    {
        _store.Down = true;

        var result = await Handler.HandleAsync(Invocation(EventBuilder.UniqueGenesysEvent()));

        Assert.Equal(ErrorTypes.StoreUnavailable, result.Error?.Type);
        Assert.Equal(0, _handler.TotalRuns);
    }

    [Fact]
    public async Task Handle_BatchWithAStoreErrorOnOneRecord_HandsBackOnlyThatRecord()
    {
        var downId = $"evt-{Guid.NewGuid():N}";
        _store.FailKey(new DedupKey(downId, string.Empty, "detail.event_id").StoredForm(string.Empty));
        var batch = new SqsBatchBuilder();
        var before = batch.Add(EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}"));
        var down = batch.Add(EventBuilder.Tutorial(downId));
        var after = batch.Add(EventBuilder.UniqueGenesysEvent());

        var failed = FailedIds(await Handler.HandleAsync(Invocation(batch.Build())));

        Assert.Equal([down], failed);
        Assert.DoesNotContain(before, failed);
        Assert.DoesNotContain(after, failed);
        Assert.Equal(2, _handler.TotalRuns);
    }

    [Fact]
    public async Task Handle_BatchRecord_HandsTheHandlerSqsReceiveCountAsTheAttempt()
    {
        var batch = new SqsBatchBuilder();
        batch.Add(EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}"), receiveCount: 3);

        Assert.Empty(FailedIds(await Handler.HandleAsync(Invocation(batch.Build()))));
        Assert.Equal(3, Assert.Single(_handler.Contexts).Attempt);
    }

    [Fact]
    public async Task Handle_EventBridgeEvent_HasNoAttemptToHandOn()
    {
        var result = await Handler.HandleAsync(Invocation(EventBuilder.UniqueGenesysEvent()));

        Assert.Null(result.Error);
        Assert.Null(Assert.Single(_handler.Contexts).Attempt);
    }

    [Fact]
    public async Task Handle_BatchWithAFailingHandler_HandsBackOnlyThatRecord()
    {
        var failingId = $"evt-{Guid.NewGuid():N}";
        _handler.FailNext(failingId);
        var batch = new SqsBatchBuilder();
        batch.Add(EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}"));
        var failing = batch.Add(EventBuilder.Tutorial(failingId));
        batch.Add(EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}"));

        Assert.Equal([failing], FailedIds(await Handler.HandleAsync(Invocation(batch.Build()))));
        Assert.Equal(3, _handler.TotalRuns);
    }

    [Fact]
    public async Task Handle_FifoBatch_StopsAtTheFirstFailureAndHandsBackTheRest()
    {
        var failingId = $"evt-{Guid.NewGuid():N}";
        _handler.FailNext(failingId);
        var batch = new SqsBatchBuilder(fifo: true);
        batch.Add(EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}"));
        var failing = batch.Add(EventBuilder.Tutorial(failingId));
        var after1 = batch.Add(EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}"));
        var after2 = batch.Add(EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}"));

        Assert.Equal([failing, after1, after2], FailedIds(await Handler.HandleAsync(Invocation(batch.Build()))));
        Assert.Equal(2, _handler.TotalRuns);
    }

    [Fact]
    public async Task Handle_BatchPastItsDeadline_HandsBackEveryRecordUnprocessed()
    {
        var batch = new SqsBatchBuilder();
        var first = batch.Add(EventBuilder.UniqueGenesysEvent());
        var second = batch.Add(EventBuilder.UniqueGenesysEvent());

        var result = await Handler.HandleAsync(Invocation(batch.Build(), Now + TimeSpan.FromMilliseconds(100)));

        Assert.Equal([first, second], FailedIds(result));
        Assert.Equal(0, _handler.TotalRuns);
    }

    [Fact]
    public async Task Handle_BatchWithARecordWithoutMessageId_FailsTheWholeInvocation()
    {
        var body = Encoding.UTF8.GetBytes("""{"Records":[{"body":"{}","eventSource":"aws:sqs"}]}""");

        var result = await Handler.HandleAsync(Invocation(body));

        Assert.Equal(ErrorTypes.InvalidBatch, result.Error?.Type);
    }

    [Fact]
    public async Task Handle_BatchFollowedByGarbage_IsAnInvalidBatchError()
    {
        var body = Encoding.UTF8.GetBytes("""{"Records":[{"messageId":"m1","body":"{}","eventSource":"aws:sqs"}], oops""");

        var result = await Handler.HandleAsync(Invocation(body));

        Assert.Equal(ErrorTypes.InvalidBatch, result.Error?.Type);
        Assert.Equal(0, _handler.TotalRuns);
    }

    [Fact]
    public async Task Handle_BodyWithEscapesAndNonAscii_IsTheSameEventAsSentDirectly()
    {
        // Utf8JsonWriter escapes every quote and non-ASCII character of the body, as SQS's JSON may.
        var json = """{"detail":{"event_id":"evt-ID","data":{"name":"Zoë \"Z\" Ångström – 東京"}}}""".Replace("ID", Guid.NewGuid().ToString("N"), StringComparison.Ordinal);
        var batch = new SqsBatchBuilder();
        batch.AddText(json);

        var viaSqs = await Handler.HandleAsync(Invocation(batch.Build()));
        var direct = await Handler.HandleAsync(Invocation(Encoding.UTF8.GetBytes(json)));

        Assert.Empty(FailedIds(viaSqs));
        Assert.Equal("duplicate", ResponseMember(direct, "outcome"));
    }

    [Theory]
    [InlineData("""{"Records":[{"messageId":"m1","body":"{}","eventSource":"aws:sqs"}]}""", true)]
    [InlineData("""{"version":"0","Records":[{"eventSource":"aws:sqs","messageId":"m1"},{"eventSource":"aws:sqs","messageId":"m2"}]}""", true)]
    [InlineData("""{"Records":[]}""", false)]
    [InlineData("""{"Records":[{"eventSource":"aws:s3"}]}""", false)]
    [InlineData("""{"Records":[{"eventSource":"aws:sqs"},{"eventSource":"aws:sns"}]}""", false)]
    [InlineData("""{"Records":{"eventSource":"aws:sqs"}}""", false)]
    [InlineData("""{"detail":{"Records":[{"eventSource":"aws:sqs"}]}}""", false)]
    [InlineData("""[{"Records":[{"eventSource":"aws:sqs"}]}]""", false)]
    [InlineData("""not json""", false)]
    [InlineData("""{"Records":[{"eventSource":"aws:sqs" """, false)]
    public void IsBatch_RecognisesOnlySqsBatches(string payload, bool expected) =>
        Assert.Equal(expected, SqsBatch.IsBatch(Encoding.UTF8.GetBytes(payload)));

    private static Invocation Invocation(byte[] payload) => Invocation(payload, Now + TimeSpan.FromMinutes(1));

    private static Invocation Invocation(byte[] payload, DateTimeOffset? deadline) =>
        new(Guid.NewGuid().ToString(), deadline, null, payload);

    private static IReadOnlyList<string> FailedIds(InvocationResult result)
    {
        Assert.Null(result.Error);
        using var document = System.Text.Json.JsonDocument.Parse(result.Response!);
        return SqsBatchBuilder.FailedIds(document.RootElement);
    }

    private static string? ResponseMember(InvocationResult result, string name)
    {
        Assert.Null(result.Error);
        using var document = System.Text.Json.JsonDocument.Parse(result.Response!);
        return document.RootElement.GetProperty(name).GetString();
    }
}
