namespace GenesysDedup.Domain;

/// <summary>
/// The handler port: what happens to a unique event (the business logic). It runs at most once per key within the
/// retention while it succeeds; when it throws, the claim is released and the sender's retry runs it again.
/// </summary>
public interface IDedupHandler
{
    /// <summary>Handles one unique event. The handler owns <see cref="DedupContext.Event"/>: it may keep it after it returns.</summary>
    ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken);
}

/// <summary>One unique event as a handler sees it.</summary>
/// <param name="Event">The event, on memory of its own.</param>
/// <param name="Key">Its dedup key; <see cref="DedupKey.Source"/> names the key source that gave it.</param>
/// <param name="Attempt">The sender's delivery count when the transport reports one (an SQS record's
/// <c>ApproximateReceiveCount</c>); null when it does not (EventBridge API destinations, direct Lambda invocations).</param>
public sealed record DedupContext(DedupEvent Event, DedupKey Key, int? Attempt);
