using GenesysDedup.Application;
using Mediator;

namespace GenesysDedup.Hosting;

/// <summary>Deliver one event through dedup: the one request both hosts send. Handled by the engine.</summary>
/// <param name="Body">The event's UTF-8 JSON, as received.</param>
/// <param name="Delivery">What the transport knows of this delivery (the Lambda host's deadline as the lease, an SQS receive count).</param>
public sealed record ProcessEvent(ReadOnlyMemory<byte> Body, DeliveryInfo Delivery = default) : IRequest<DedupResult>;

/// <summary>Hands a <see cref="ProcessEvent"/> to the engine.</summary>
public sealed class ProcessEventRequestHandler(IEventDeduplicator engine) : IRequestHandler<ProcessEvent, DedupResult>
{
    public ValueTask<DedupResult> Handle(ProcessEvent request, CancellationToken cancellationToken) =>
        engine.ProcessAsync(request.Body, request.Delivery, cancellationToken);
}
