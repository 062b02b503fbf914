using System.Collections.Concurrent;
using GenesysDedup.Application;
using GenesysDedup.Domain;

namespace GenesysDedup.Cli;

/// <summary>
/// <c>replay --dry-run</c>: what each event would be, from the engine's own parser and keys and a read of the store
/// (<see cref="IDedupStore.FindAsync"/>), judged as a claim judges a record. Nothing is written. A key new to the
/// store that an earlier event of the same replay already had would be a duplicate of it (or a conflict).
/// </summary>
internal sealed class DryRunPreview(IDedupStore store, DedupOptions options, TimeProvider time)
{
    private readonly KeyResolver _keys = KeyResolver.FromNames(options.KeySources);
    private readonly EventLimits _limits = new(options.MaxEventBytes);
    private readonly ConcurrentDictionary<string, string> _newInThisRun = new(StringComparer.Ordinal);

    public async ValueTask<ReplayEvent> PreviewAsync(InputItem item)
    {
        var (file, line) = item.Location;
        var parsed = EventParser.Parse(item.Event, _limits);
        if (parsed.Event is not { } dedupEvent)
        {
            return new ReplayEvent(file, line, Outcomes.Invalid, Detail: parsed.Error);
        }

        DedupKey key;
        using (dedupEvent)
        {
            var resolution = _keys.Resolve(dedupEvent);
            if (resolution.Key is not { } resolved)
            {
                return new ReplayEvent(file, line, Outcomes.Invalid, Detail: resolution.Error);
            }

            key = resolved;
        }

        var storedForm = key.StoredForm(options.Namespace);
        DedupRecord? record;
        try
        {
            record = await store.FindAsync(storedForm, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (DedupStoreUnavailableException ex)
        {
            return new ReplayEvent(file, line, DedupOutcome.StoreUnavailable.ToWireName(), key.Value, ex.Message);
        }

        var (outcome, detail) = record is null ? Unseen(storedForm, key) : Judge(record, key);
        return new ReplayEvent(file, line, outcome, key.Value, detail)
        {
            Ok = outcome is Outcomes.New || outcome == DedupOutcome.Duplicate.ToWireName(),
        };
    }

    private (string Outcome, string? Detail) Unseen(string storedForm, DedupKey key)
    {
        if (_newInThisRun.TryAdd(storedForm, key.Fingerprint))
        {
            return (Outcomes.New, $"from {key.Source}");
        }

        return _newInThisRun[storedForm] == key.Fingerprint
            ? (DedupOutcome.Duplicate.ToWireName(), "of an earlier event in this replay")
            : (DedupOutcome.Conflict.ToWireName(), $"an earlier event in this replay has key {key.Value} (from {key.Source}) with a different fingerprint");
    }

    private static (string Outcome, string? Detail) Judge(DedupRecord record, DedupKey key)
    {
        var claim = StoredRecord.Judge(
            live: true,
            sameOwner: false,
            fingerprintDiffers: record.Fingerprint is not null && record.Fingerprint != key.Fingerprint,
            completed: record.Status == DedupRecordStatus.Completed,
            record.LeaseExpiresAt ?? record.ExpiresAt);
        return claim.Status switch
        {
            ClaimStatus.Duplicate => (DedupOutcome.Duplicate.ToWireName(), null),
            ClaimStatus.InProgress => (DedupOutcome.InProgress.ToWireName(), $"held until {claim.LeaseExpiresAt:O}"),
            ClaimStatus.Conflict => (DedupOutcome.Conflict.ToWireName(), $"key {key.Value} (from {key.Source}) is held by an event with a different fingerprint"),
            _ => (Outcomes.New, $"from {key.Source}"),
        };
    }
}
