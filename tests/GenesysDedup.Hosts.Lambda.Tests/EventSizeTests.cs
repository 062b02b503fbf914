using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// 1 MB events (the largest EventBridge entry, async Lambda payload and SQS message) through the built host against the
/// fake Runtime API: directly, and as SQS records whose batch is larger than any one event may be.
/// </summary>
public sealed class EventSizeTests : HostProcessTests
{
    private const int OneMegabyte = 1024 * 1024;

    /// <summary>An SQS message (here a whole EventBridge event) is at most 1 MiB.</summary>
    private const int SqsMessage = 1_000_000;

    [Fact]
    public async Task Invoke_OneMegabyteTranscription_RespondsProcessed()
    {
        var body = EventBuilder.Transcription(OneMegabyte, new Random(21));

        var reply = await Harness.InvokeAsync(body);

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        Assert.Equal("processed", reply.Member("outcome"));
        var delivery = Assert.Single(Harness.Downstream.DeliveriesOf(reply.Member("key")!));
        Assert.Equal(body.Length, delivery.Body.Length);
    }

    [Fact]
    public async Task Invoke_SqsBatchOfThreeOneMegabyteRecords_ProcessesEveryRecord()
    {
        var batch = new SqsBatchBuilder();
        var first = EventBuilder.Transcription(SqsMessage, new Random(22));
        batch.Add(first);
        batch.Add(EventBuilder.Transcription(SqsMessage, new Random(23)));
        batch.Add(first); // the same message sent twice
        var payload = batch.Build();

        var reply = await Harness.InvokeAsync(payload);

        Assert.True(payload.Length > 3 * SqsMessage, "the batch is over Dedup:MaxEventBytes, as SQS batches of large events are");
        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        Assert.Empty(SqsBatchBuilder.FailedIds(reply.Json));
        Assert.Equal(2, Harness.Downstream.Deliveries.Count);
    }

    [Fact]
    public async Task Invoke_EventOverMaxEventBytes_PostsInvalidNamingTheKey()
    {
        var reply = await Harness.InvokeAsync(EventBuilder.Transcription(1_572_865, new Random(24)));

        Assert.Equal(RuntimeReplyKind.Error, reply.Kind);
        Assert.Equal("GenesysDedup.Invalid", reply.ErrorType);
        Assert.Contains("the limit is 1572864 (Dedup:MaxEventBytes)", reply.Member("errorMessage"), StringComparison.Ordinal);
        Assert.Empty(Harness.Downstream.Deliveries);
    }

    [Fact]
    public async Task Invoke_SqsRecordOverMaxEventBytes_HandsBackOnlyThatRecord()
    {
        var batch = new SqsBatchBuilder();
        var large = batch.Add(EventBuilder.Transcription(1_572_865, new Random(25)));
        batch.Add(EventBuilder.Transcription(SqsMessage, new Random(26)));

        var reply = await Harness.InvokeAsync(batch.Build());

        Assert.Equal([large], SqsBatchBuilder.FailedIds(reply.Json));
        Assert.Single(Harness.Downstream.Deliveries);
    }

    [Fact]
    public async Task Invoke_PayloadOverLambdasOwnLimit_PostsInvalid_AndTheRuntimeGoesOn()
    {
        var huge = EventBuilder.Transcription(7 * OneMegabyte + 1, new Random(27));

        var refused = await Harness.InvokeAsync(huge);
        var next = await Harness.InvokeAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(RuntimeReplyKind.Error, refused.Kind);
        Assert.Equal("GenesysDedup.Invalid", refused.ErrorType);
        Assert.Contains("over 7340032 bytes", refused.Member("errorMessage"), StringComparison.Ordinal);
        Assert.Equal("processed", next.Member("outcome"));
    }
}
