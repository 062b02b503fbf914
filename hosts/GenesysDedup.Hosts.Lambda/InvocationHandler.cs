using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Hosting;
using Mediator;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// Turns one invocation into the Runtime API's answer (docs/behaviour.md#lambda-host): an EventBridge event (any JSON object that is not an
/// SQS batch) becomes a response or an invocation error; an SQS batch becomes <c>batchItemFailures</c>.
/// </summary>
internal sealed class InvocationHandler(ISender sender, DedupMetrics metrics, TimeProvider time, ILogger<InvocationHandler> logger)
{
    /// <summary>
    /// Added to the time left until the deadline to make a claim's lease (ADR 0002): the claim outlives its handler even
    /// with clocks a few seconds apart, and lapses long before Lambda's first retry or SQS's next delivery.
    /// </summary>
    public static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(10);

    /// <summary>Handlers are cancelled this long before the deadline, so an overrun is released and reported while the invocation can still answer.</summary>
    public static readonly TimeSpan DeadlineReserve = TimeSpan.FromMilliseconds(500);

    public async Task<InvocationResult> HandleAsync(Invocation invocation)
    {
        if (invocation.PayloadTooLarge)
        {
            var error = new LambdaError(ErrorTypes.Invalid, $"invalid: the invocation payload is over {LambdaRuntimeClient.MaxPayloadBytes} bytes, more than Lambda sends");
            Log.InvocationTooLarge(logger, invocation.RequestId, LambdaRuntimeClient.MaxPayloadBytes);
            metrics.EventDelivered(DedupOutcome.Invalid);
            return InvocationResult.Fail(error);
        }

        var left = invocation.Deadline - time.GetUtcNow() - DeadlineReserve;
        using var deadline = left is { } remaining
            ? new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, time)
            : new CancellationTokenSource();
        return SqsBatch.IsBatch(invocation.Payload)
            ? await HandleBatchAsync(invocation, deadline.Token).ConfigureAwait(false)
            : await HandleEventAsync(invocation, deadline.Token).ConfigureAwait(false);
    }

    // With no deadline, null: the engine uses Dedup:Lease.
    internal TimeSpan? LeaseFor(DateTimeOffset? deadline) =>
        deadline - time.GetUtcNow() is { } left ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) + LeaseMargin : null;

    private async Task<InvocationResult> HandleEventAsync(Invocation invocation, CancellationToken deadline)
    {
        var result = await ProcessAsync(invocation.Payload, invocation, deadline).ConfigureAwait(false);
        if (result.Outcome.IsAcknowledged())
        {
            return InvocationResult.Respond(JsonSerializer.SerializeToUtf8Bytes(
                new EventResponse(result.Outcome.ToWireName(), result.Key), LambdaJsonContext.Default.EventResponse));
        }

        var error = new LambdaError(ErrorTypes.For(result.Outcome), Describe(result));
        Log.EventFailed(logger, invocation.RequestId, result.Outcome.ToWireName(), result.Key, error.Type);
        return InvocationResult.Fail(error);
    }

    private async Task<InvocationResult> HandleBatchAsync(Invocation invocation, CancellationToken deadline)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(invocation.Payload, new JsonDocumentOptions { MaxDepth = EventLimits.DefaultMaxDepth });
        }
        catch (JsonException ex)
        {
            // The Records array was well-formed but the text around it is not JSON: nothing can be handed back alone.
            return InvocationResult.Fail(new LambdaError(ErrorTypes.InvalidBatch, $"the SQS batch is not valid JSON: {ex.Message}"));
        }

        using var owner = document;
        var records = document.RootElement.GetProperty("Records"u8).EnumerateArray().ToList();
        var messageIds = records.ConvertAll(SqsBatch.MessageId);
        if (messageIds.Contains(null))
        {
            // Without its messageId a record cannot be handed back on its own: the whole batch is retried instead.
            return InvocationResult.Fail(new LambdaError(ErrorTypes.InvalidBatch, "an SQS record has no messageId; the batch is retried whole"));
        }

        var failures = new List<BatchItemFailure>();
        var stopped = false;
        for (var i = 0; i < records.Count; i++)
        {
            // Out of time, or after a failure in a FIFO queue (AWS's rule: stop there and hand back the rest in order),
            // a record is handed back unprocessed; SQS delivers it again.
            var (record, messageId) = (records[i], messageIds[i]!);
            if (stopped || deadline.IsCancellationRequested
                || !(await ProcessRecordAsync(record, messageId, invocation, deadline).ConfigureAwait(false)).IsAcknowledged())
            {
                failures.Add(new BatchItemFailure(messageId));
                stopped |= SqsBatch.IsFifo(record);
            }
        }

        if (deadline.IsCancellationRequested)
        {
            Log.BatchOutOfTime(logger, invocation.RequestId);
        }

        Log.BatchAnswered(logger, invocation.RequestId, records.Count, failures.Count);
        return InvocationResult.Respond(JsonSerializer.SerializeToUtf8Bytes(new BatchResponse(failures), LambdaJsonContext.Default.BatchResponse));
    }

    private async Task<DedupOutcome> ProcessRecordAsync(JsonElement record, string messageId, Invocation invocation, CancellationToken deadline)
    {
        // Pooled, not allocated: a body of 85 KB or more would be a large-object allocation per record.
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(SqsBatch.MaxBodyLength(record), 1));
        try
        {
            if (SqsBatch.ReadBody(record, buffer) is not { } length)
            {
                Log.RecordWithoutBody(logger, messageId);
                metrics.EventDelivered(DedupOutcome.Invalid);
                return DedupOutcome.Invalid;
            }

            // The key comes from the body (the event), never from messageId: SQS gives a redelivered or re-sent
            // message a new one.
            return (await ProcessAsync(buffer.AsMemory(0, length), invocation, deadline, SqsBatch.ReceiveCount(record)).ConfigureAwait(false)).Outcome;
        }
#pragma warning disable CA1031 // One record's surprise must not fail the others: it is handed back to SQS alone.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RecordCrashed(logger, ex, messageId);
            metrics.EventDelivered(DedupOutcome.Failed);
            return DedupOutcome.Failed;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Each delivery's span is a Consumer span under the invocation's X-Ray trace (a new trace when Lambda gave none).
    private ValueTask<DedupResult> ProcessAsync(ReadOnlyMemory<byte> utf8Event, Invocation invocation, CancellationToken deadline, int? attempt = null) =>
        sender.Send(
            new ProcessEvent(utf8Event, new DeliveryInfo(LeaseFor(invocation.Deadline), attempt) { ParentContext = invocation.TraceParent, SpanKind = ActivityKind.Consumer }),
            deadline);

    private static string Describe(DedupResult result)
    {
        var message = $"{result.Outcome.ToWireName()}: {result.Detail ?? "not acknowledged"}";
        return result.Key is null ? message : $"{message} (key {result.Key})";
    }
}

internal readonly record struct InvocationResult(byte[]? Response, LambdaError? Error)
{
    public static InvocationResult Respond(byte[] utf8Json) => new(utf8Json, null);

    public static InvocationResult Fail(LambdaError error) => new(null, error);
}

/// <summary>
/// The <c>errorType</c> of every error the host posts (also the <c>Lambda-Runtime-Function-Error-Type</c> header).
/// Lambda shows it in the on-failure destination's record and in the <c>Errors</c> metric's logs.
/// </summary>
internal static class ErrorTypes
{
    public const string InProgress = "GenesysDedup.InProgress";
    public const string StoreUnavailable = "GenesysDedup.StoreUnavailable";
    public const string Invalid = "GenesysDedup.Invalid";
    public const string InvalidBatch = "GenesysDedup.InvalidBatch";
    public const string Unhandled = "GenesysDedup.Unhandled";
    public const string InvalidConfiguration = "GenesysDedup.InvalidConfiguration";
    public const string InitFailed = "GenesysDedup.InitFailed";

    /// <summary>The type of an outcome that is not acknowledged: <c>GenesysDedup.</c> and the outcome's name.</summary>
    public static string For(DedupOutcome outcome) => $"GenesysDedup.{outcome}";
}
