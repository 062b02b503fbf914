using System.Net;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>docs/behaviour.md#sqs-batches: SQS batches with <c>ReportBatchItemFailures</c>: the built host as a process against the fake Runtime API.</summary>
public sealed class SqsBatchTests : HostProcessTests
{
    [Fact]
    public async Task Invoke_MixedBatch_ListsExactlyTheRecordsNotProcessedOrDuplicate()
    {
        var genesys = EventBuilder.UniqueGenesysEvent();
        var failingId = $"evt-{Guid.NewGuid():N}";
        var goodId = $"evt-{Guid.NewGuid():N}";
        Harness.Downstream.AnswerNext(failingId, HttpStatusCode.InternalServerError);
        var batch = new SqsBatchBuilder();
        var copy1 = batch.Add(genesys);
        var copy2 = batch.Add(EventBuilder.Republish(genesys));
        var invalid = batch.AddText("{\"detail\": not json");
        var failing = batch.Add(EventBuilder.Tutorial(failingId));
        var noBody = batch.AddWithoutBody();
        var good = batch.Add(EventBuilder.Tutorial(goodId));

        var reply = await Harness.InvokeAsync(batch.Build());

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        Assert.Equal([invalid, failing, noBody], SqsBatchBuilder.FailedIds(reply.Json));
        Assert.DoesNotContain(copy1, SqsBatchBuilder.FailedIds(reply.Json));
        Assert.DoesNotContain(copy2, SqsBatchBuilder.FailedIds(reply.Json));
        Assert.DoesNotContain(good, SqsBatchBuilder.FailedIds(reply.Json));
        // The two copies of one event inside the batch ran the handler once; the good record ran; the failing one was tried.
        var genesysDeliveries = Harness.Downstream.Deliveries.Where(d => d.Key is not null && d.Key.StartsWith("sha256:", StringComparison.Ordinal)).ToList();
        Assert.Single(genesysDeliveries);
        Assert.Single(Harness.Downstream.DeliveriesOf(goodId));
        Assert.Single(Harness.Downstream.DeliveriesOf(failingId));
    }

    [Fact]
    public async Task Invoke_FailedRecordRedelivered_IsProcessed_AndTheOthersAreDuplicates()
    {
        var failingId = $"evt-{Guid.NewGuid():N}";
        var goodId = $"evt-{Guid.NewGuid():N}";
        Harness.Downstream.AnswerNext(failingId, HttpStatusCode.ServiceUnavailable);
        var first = new SqsBatchBuilder();
        first.Add(EventBuilder.Tutorial(goodId));
        var failing = first.Add(EventBuilder.Tutorial(failingId));

        var firstReply = await Harness.InvokeAsync(first.Build());
        // SQS redelivers the failed message (same body, and here the good one re-sent with a new messageId).
        var second = new SqsBatchBuilder();
        second.Add(EventBuilder.Tutorial(failingId), failing);
        second.Add(EventBuilder.Tutorial(goodId));
        var secondReply = await Harness.InvokeAsync(second.Build());

        Assert.Equal([failing], SqsBatchBuilder.FailedIds(firstReply.Json));
        Assert.Empty(SqsBatchBuilder.FailedIds(secondReply.Json));
        Assert.Equal(2, Harness.Downstream.DeliveriesOf(failingId).Count);
        Assert.Single(Harness.Downstream.DeliveriesOf(goodId));
    }

    [Fact]
    public async Task Invoke_SameBodyUnderNewMessageIds_IsKeyedOnTheBody()
    {
        var body = EventBuilder.UniqueGenesysEvent();
        var first = new SqsBatchBuilder();
        first.Add(body);
        var second = new SqsBatchBuilder();
        second.Add(body);

        var firstReply = await Harness.InvokeAsync(first.Build());
        var secondReply = await Harness.InvokeAsync(second.Build());

        Assert.Empty(SqsBatchBuilder.FailedIds(firstReply.Json));
        Assert.Empty(SqsBatchBuilder.FailedIds(secondReply.Json));
        Assert.Single(Harness.Downstream.Deliveries, d => d.Key is not null && d.Key.StartsWith("sha256:", StringComparison.Ordinal));
    }
}
