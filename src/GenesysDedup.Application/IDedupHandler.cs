using GenesysDedup.Domain;

namespace GenesysDedup.Application;

/// <summary>
/// What happens to a unique event: the business logic. Runs at most once per key within the retention window
/// while it succeeds; when it throws, the claim is released so the sender's retry runs it again.
/// The handler owns the event it is given: it may keep it, and read it, after it returned.
/// Register one with <c>services.AddGenesysDedup(configuration).AddHandler&lt;MyHandler&gt;()</c>.
/// </summary>
public interface IDedupHandler
{
    ValueTask HandleAsync(DedupEvent dedupEvent, DedupKey key, CancellationToken cancellationToken);
}
