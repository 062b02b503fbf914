using System.Text.Json;

namespace GenesysDedup.Domain;

/// <summary>The dedup key of one event: its value (unscoped), the event's fingerprint and the source that gave it.</summary>
public readonly record struct DedupKey(string Value, string Fingerprint, string Source)
{
    /// <summary>Separates the parts of the stored form; neither a namespace nor a key source name may hold it.</summary>
    public const char StoredFormSeparator = ':';

    /// <summary>
    /// The key as stores hold it: <c>namespace:source:value</c>, the separator written even for the empty namespace.
    /// Neither the namespace nor the source name may contain <c>:</c>, so the first two separators always split the
    /// form the same way: two consumers sharing a store, or a sender-chosen path value shaped like a fingerprint,
    /// never meet another key's record, whatever the value holds.
    /// </summary>
    public string StoredForm(string @namespace) => string.Concat(@namespace, ":", Source, ":", Value);

    /// <summary>The unscoped key value.</summary>
    public override string ToString() => Value;
}

/// <summary>
/// One way of deriving a key, named in <c>Dedup:KeySources</c> (docs/behaviour.md#keys): one of the two fingerprints,
/// or a dotted path into the event (<c>detail.metadata.CorrelationId</c>, <c>resources.0</c>; <c>eventbridge-id</c> is
/// <c>id</c>) that yields a non-empty string or a number's JSON text. Paths joined with <c>+</c> form a composite that
/// yields only when every path does, joined with <c>|</c> (a <c>|</c> or <c>\</c> inside a value is escaped with
/// <c>\</c>, so two different tuples never make one key).
/// </summary>
internal sealed class KeySource
{
    /// <summary>The default JCS fingerprint (<see cref="EventFingerprint.TryCompute"/>).</summary>
    public const string Fingerprint = "fingerprint";

    /// <summary>
    /// The older, wider identity, opt-in: the fingerprint of <c>detail.topicName</c> + <c>detail.eventBody</c> only,
    /// for topics whose bodies carry their own identity; two notifications with equal bodies get one key (ADR 0006).
    /// Yields nothing when <c>detail</c> lacks either member.
    /// </summary>
    public const string EventBodyFingerprint = "eventbody-fingerprint";

    public const string EventBridgeId = "eventbridge-id";

    /// <summary>Bounds the stored form: with a 64-character namespace and a 512-character key it fits DynamoDB's key.</summary>
    public const int MaxNameLength = 256;

    private readonly string[][] _paths; // none for a fingerprint

    private KeySource(string name, string[][] paths)
    {
        Name = name;
        _paths = paths;
    }

    public string Name { get; }

    /// <summary>Parses a configured name; throws <see cref="ArgumentException"/> naming the bad part.</summary>
    public static KeySource Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        switch (text)
        {
            case Fingerprint or EventBodyFingerprint:
                return new KeySource(text, []);
            case EventBridgeId:
                return new KeySource(text, [["id"]]);
        }

        if (text.Contains(DedupKey.StoredFormSeparator, StringComparison.Ordinal) || text.Length > MaxNameLength)
        {
            throw new ArgumentException(
                $"key source '{text}' must be at most {MaxNameLength} characters without '{DedupKey.StoredFormSeparator}' (it is part of every stored key)",
                nameof(text));
        }

        var paths = text.Split('+', StringSplitOptions.TrimEntries).Select(path => path.Split('.')).ToArray();
        if (paths.Any(segments => segments.Any(string.IsNullOrWhiteSpace)))
        {
            throw new ArgumentException($"key source '{text}' is not a dotted path (or paths joined with '+')", nameof(text));
        }

        return new KeySource(text, paths);
    }

    /// <summary>The value a path source finds in <paramref name="root"/>; null when any of its paths finds none.</summary>
    public string? Find(JsonElement root)
    {
        if (_paths.Length == 1)
        {
            return Find(root, _paths[0]);
        }

        var parts = new string[_paths.Length];
        for (var i = 0; i < _paths.Length; i++)
        {
            if (Find(root, _paths[i]) is not { } part)
            {
                return null;
            }

            parts[i] = part.AsSpan().IndexOfAny('\\', '|') < 0
                ? part
                : part.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);
        }

        return string.Join('|', parts);
    }

    private static string? Find(JsonElement element, string[] segments)
    {
        foreach (var segment in segments)
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(segment, out var child))
            {
                element = child;
            }
            else if (element.ValueKind == JsonValueKind.Array && int.TryParse(segment, out var index)
                     && index >= 0 && index < element.GetArrayLength())
            {
                element = element[index];
            }
            else
            {
                return null;
            }
        }

        return element.ValueKind switch
        {
            JsonValueKind.String when element.GetString() is { Length: > 0 } text => text,
            JsonValueKind.Number => element.GetRawText(),
            _ => null,
        };
    }
}

/// <summary>Resolves an event's key with the ordered list of sources: the first one that yields wins (docs/behaviour.md#keys).</summary>
internal sealed class KeyResolver
{
    /// <summary>The default order (docs/behaviour.md#default-order): the tutorial's <c>detail.event_id</c>, then the fingerprint.</summary>
    public static IReadOnlyList<string> DefaultSources { get; } = ["detail.event_id", KeySource.Fingerprint];

    /// <summary>Path keys longer than this are replaced by a hash of themselves (DynamoDB keys stop at 2048 bytes).</summary>
    public const int MaxKeyLength = 512;

    private readonly KeySource[] _sources;

    private KeyResolver(KeySource[] sources) => _sources = sources;

    public IReadOnlyList<KeySource> Sources => _sources;

    /// <summary>Builds the sources from their configured names; throws <see cref="ArgumentException"/> naming a bad one.</summary>
    public static KeyResolver FromNames(IEnumerable<string>? names)
    {
        var list = names?.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).ToList();
        return new KeyResolver([.. (list is { Count: > 0 } ? list : DefaultSources).Select(KeySource.Parse)]);
    }

    /// <summary>The key, or the reason the event has none. A path key carries the fingerprint too, for conflict detection.</summary>
    public KeyResolution Resolve(DedupEvent dedupEvent)
    {
        foreach (var source in _sources)
        {
            string? fingerprint, error;
            switch (source.Name)
            {
                // A fingerprint key is its own fingerprint: an event can never conflict with itself.
                case KeySource.Fingerprint:
                    return EventFingerprint.TryCompute(dedupEvent, out fingerprint, out error)
                        ? new KeyResolution(new DedupKey(fingerprint, fingerprint, source.Name), null)
                        : KeyResolution.Fail($"cannot fingerprint the event: {error}");
                case KeySource.EventBodyFingerprint when EventFingerprint.HasTopicNameAndEventBody(dedupEvent.Root):
                    return EventFingerprint.TryComputeEventBody(dedupEvent, out fingerprint, out error)
                        ? new KeyResolution(new DedupKey(fingerprint, fingerprint, source.Name), null)
                        : KeyResolution.Fail($"cannot fingerprint the event body: {error}");
                case KeySource.EventBodyFingerprint:
                    continue;
            }

            if (source.Find(dedupEvent.Root) is { } value)
            {
                return EventFingerprint.TryCompute(dedupEvent, out fingerprint, out error)
                    ? new KeyResolution(new DedupKey(BoundLength(value), fingerprint, source.Name), null)
                    : KeyResolution.Fail($"cannot fingerprint the event: {error}");
            }
        }

        return KeyResolution.Fail($"no key source yielded a key (tried {string.Join(", ", _sources.Select(s => s.Name))})");
    }

    // A path value is user data of any length; past MaxKeyLength it is stored as "sha256:" + hex of its UTF-8,
    // deterministic, so every delivery of the event still finds the same record.
    private static string BoundLength(string key) =>
        key.Length <= MaxKeyLength ? key : Sha256Text.Of(System.Text.Encoding.UTF8.GetBytes(key));
}

internal readonly record struct KeyResolution(DedupKey? Key, string? Error)
{
    public static KeyResolution Fail(string error) => new(null, error);
}
