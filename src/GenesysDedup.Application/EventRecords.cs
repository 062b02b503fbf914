using GenesysDedup.Domain;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Application;

/// <summary>
/// What operators do to one event's record, by the key the hosts report (docs/behaviour.md#look-up-and-remove): look
/// it up, or remove it so the next delivery is processed again. Registered by <c>AddGenesysDedup</c>.
/// </summary>
public interface IEventRecords
{
    /// <summary>
    /// The live record of <paramref name="key"/> in <paramref name="keyNamespace"/> (null: <c>Dedup:Namespace</c>), under the
    /// first configured key source that holds one; null when none does. Throws <see cref="ArgumentException"/> for a
    /// namespace <c>Dedup:Namespace</c> could not hold, <see cref="DedupStoreUnavailableException"/> when the store cannot answer.
    /// </summary>
    ValueTask<EventRecord?> FindAsync(string key, string? keyNamespace = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes the record of <paramref name="key"/> under every configured key source; true when a live one was
    /// removed. A delivery still running then writes its completion into the empty key. Throws as <see cref="FindAsync"/> does.
    /// </summary>
    ValueTask<bool> RemoveAsync(string key, string? keyNamespace = null, CancellationToken cancellationToken = default);
}

/// <summary>One event's record, found by <see cref="IEventRecords.FindAsync"/>.</summary>
/// <param name="Key">The key as the hosts report it (unscoped).</param>
/// <param name="Namespace">The namespace it was found in.</param>
/// <param name="KeySource">The key source whose stored form holds it.</param>
/// <param name="Record">What the store holds.</param>
public sealed record EventRecord(string Key, string Namespace, string KeySource, DedupRecord Record)
{
    /// <summary>The record as operators see it: the operator API's JSON body and the tool's <c>status</c>.</summary>
    public EventRecordView ToView() => new(
        Key,
        Namespace,
        Record.Status == DedupRecordStatus.Completed ? "completed" : "in_progress",
        Record.Fingerprint,
        Record.LeaseExpiresAt?.UtcDateTime,
        Record.ProcessedAt?.UtcDateTime,
        Record.ExpiresAt.UtcDateTime);
}

/// <summary>An event's record as operators see it; UTC times serialize with a <c>Z</c>, and a member the store does not keep is null.</summary>
/// <param name="Key">The key as the hosts report it.</param>
/// <param name="Namespace">The namespace it was found in.</param>
/// <param name="Status"><c>in_progress</c> or <c>completed</c>.</param>
/// <param name="Fingerprint">The event's fingerprint, when the store keeps it.</param>
/// <param name="LeaseExpiresAt">For <c>in_progress</c>: when the holder's lease lapses.</param>
/// <param name="ProcessedAt">For <c>completed</c>: when it completed; null for a record written before its store kept that.</param>
/// <param name="ExpiresAt">When the record stops holding the key.</param>
public sealed record EventRecordView(
    string Key, string Namespace, string Status, string? Fingerprint, DateTime? LeaseExpiresAt, DateTime? ProcessedAt, DateTime ExpiresAt);

/// <summary>
/// Tries the stored form of the key under each configured source in order: the key alone does not say which source
/// gave it. The calls of one request share one <c>Dedup:StoreTimeout</c>, as a delivery's do.
/// </summary>
internal sealed class EventRecords(IOptions<DedupOptions> options, IDedupStore store, DedupMetrics metrics, TimeProvider time) : IEventRecords
{
    private readonly DedupOptions _options = options.Value;
    private readonly string[] _sources = [.. KeyResolver.FromNames(options.Value.KeySources).Sources.Select(source => source.Name)];

    public async ValueTask<EventRecord?> FindAsync(string key, string? keyNamespace = null, CancellationToken cancellationToken = default)
    {
        var scope = ScopeOf(key, keyNamespace);
        var budget = new StoreBudget(_options.StoreTimeout, time, metrics);
        foreach (var (source, storedForm) in StoredForms(key, scope))
        {
            var record = await budget.CallAsync("find", () => store.FindAsync(storedForm, time.GetUtcNow(), cancellationToken)).ConfigureAwait(false);
            if (record is not null)
            {
                return new EventRecord(key, scope, source, record);
            }
        }

        return null;
    }

    public async ValueTask<bool> RemoveAsync(string key, string? keyNamespace = null, CancellationToken cancellationToken = default)
    {
        var scope = ScopeOf(key, keyNamespace);
        var budget = new StoreBudget(_options.StoreTimeout, time, metrics);
        var removed = false;
        foreach (var (_, storedForm) in StoredForms(key, scope))
        {
            removed |= await budget.CallAsync("remove", () => store.RemoveAsync(storedForm, time.GetUtcNow(), cancellationToken)).ConfigureAwait(false);
        }

        return removed;
    }

    /// <summary>The stored form under each source; none for a key longer than any the engine stores (it hashes those).</summary>
    private IEnumerable<(string Source, string StoredForm)> StoredForms(string key, string scope) =>
        key.Length > KeyResolver.MaxKeyLength ? [] : _sources.Select(source => (source, new DedupKey(key, string.Empty, source).StoredForm(scope)));

    /// <summary>The namespace to look in, checked by the rule <c>Dedup:Namespace</c> is checked by.</summary>
    private string ScopeOf(string key, string? keyNamespace)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (keyNamespace is null)
        {
            return _options.Namespace;
        }

        var check = new DedupOptionsValidator().Validate(null, new DedupOptions { Namespace = keyNamespace });
        return check.Failed ? throw new ArgumentException(check.FailureMessage, nameof(keyNamespace)) : keyNamespace;
    }
}
