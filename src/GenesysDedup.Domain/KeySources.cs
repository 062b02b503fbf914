using System.Text.Json;

namespace GenesysDedup.Domain;

/// <summary>What one key source found: a key, nothing (try the next source), or an error that makes the event invalid.</summary>
internal readonly record struct KeySourceResult(string? Value, string? Error)
{
    public static KeySourceResult NotFound => default;

    public bool Found => Value is not null;
}

/// <summary>One way of deriving a dedup key from an event (docs/behaviour.md#keys). Configured by name in <c>Dedup:KeySources</c>.</summary>
internal interface IKeySource
{
    /// <summary>The configuration text that names this source, e.g. <c>fingerprint</c> or <c>detail.event_id</c>.</summary>
    string Name { get; }

    KeySourceResult Resolve(DedupEvent dedupEvent);
}

/// <summary>The default JCS fingerprint (<see cref="EventFingerprint.TryCompute"/>); yields a key for every event it can canonicalize.</summary>
internal sealed class FingerprintKeySource : IKeySource
{
    public const string SourceName = "fingerprint";

    public static FingerprintKeySource Instance { get; } = new();

    public string Name => SourceName;

    public KeySourceResult Resolve(DedupEvent dedupEvent) =>
        EventFingerprint.TryCompute(dedupEvent, out var fingerprint, out var error)
            ? new KeySourceResult(fingerprint, null)
            : new KeySourceResult(null, $"cannot fingerprint the event: {error}");
}

/// <summary>
/// The older, wider identity, opt-in: the fingerprint of <c>detail.topicName</c> + <c>detail.eventBody</c> only, for
/// topics whose bodies carry their own identity. Two notifications with equal bodies get one key (ADR 0006). Yields
/// nothing (the next source is tried) when <c>detail</c> lacks either member.
/// </summary>
internal sealed class EventBodyFingerprintKeySource : IKeySource
{
    public const string SourceName = "eventbody-fingerprint";

    public static EventBodyFingerprintKeySource Instance { get; } = new();

    public string Name => SourceName;

    public KeySourceResult Resolve(DedupEvent dedupEvent)
    {
        ArgumentNullException.ThrowIfNull(dedupEvent);
        if (!EventFingerprint.HasTopicNameAndEventBody(dedupEvent.Root))
        {
            return KeySourceResult.NotFound;
        }

        return EventFingerprint.TryComputeEventBody(dedupEvent, out var fingerprint, out var error)
            ? new KeySourceResult(fingerprint, null)
            : new KeySourceResult(null, $"cannot fingerprint the event body: {error}");
    }
}

/// <summary>
/// A dotted path into the event (<c>detail.metadata.CorrelationId</c>, <c>resources.0</c>); yields a non-empty
/// string or a number's JSON text. Several paths joined with <c>+</c> form a composite that yields only when every
/// path does, joined with <c>|</c> (a <c>|</c> or <c>\</c> inside a value is escaped with <c>\</c>, so two different
/// tuples never make one key).
/// </summary>
internal sealed class PathKeySource : IKeySource
{
    public const string EventBridgeIdName = "eventbridge-id";
    private const char CompositeSeparator = '+';
    private const char ValueSeparator = '|';

    private readonly string[][] _paths;

    /// <summary>Bounds the stored form: with a 64-character namespace and a 512-character key it fits DynamoDB's key.</summary>
    public const int MaxNameLength = 256;

    private PathKeySource(string name, string[][] paths)
    {
        Name = name;
        _paths = paths;
    }

    public string Name { get; }

    /// <summary>Parses a configured path or composite; throws <see cref="ArgumentException"/> naming the bad part.</summary>
    public static PathKeySource Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        if (text == EventBridgeIdName)
        {
            return new PathKeySource(text, [["id"]]);
        }

        if (text.Contains(DedupKey.StoredFormSeparator, StringComparison.Ordinal) || text.Length > MaxNameLength)
        {
            throw new ArgumentException(
                $"key source '{text}' must be at most {MaxNameLength} characters without '{DedupKey.StoredFormSeparator}' (it is part of every stored key)",
                nameof(text));
        }

        var paths = text.Split(CompositeSeparator, StringSplitOptions.TrimEntries)
            .Select(path => path.Split('.'))
            .ToArray();
        if (paths.Any(segments => segments.Any(string.IsNullOrWhiteSpace)))
        {
            throw new ArgumentException($"key source '{text}' is not a dotted path (or paths joined with '{CompositeSeparator}')", nameof(text));
        }

        return new PathKeySource(text, paths);
    }

    public KeySourceResult Resolve(DedupEvent dedupEvent)
    {
        if (_paths.Length == 1)
        {
            return new KeySourceResult(Find(dedupEvent.Root, _paths[0]), null);
        }

        var parts = new string[_paths.Length];
        for (var i = 0; i < _paths.Length; i++)
        {
            if (Find(dedupEvent.Root, _paths[i]) is not { } part)
            {
                return KeySourceResult.NotFound;
            }

            parts[i] = part;
        }

        return new KeySourceResult(string.Join(ValueSeparator, parts.Select(EscapePart)), null);
    }

    private static string EscapePart(string part) =>
        part.AsSpan().IndexOfAny('\\', ValueSeparator) < 0
            ? part
            : part.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);

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

/// <summary>Resolves an event's key with the ordered list of sources: the first one that yields wins (docs/behaviour.md#keys).</summary>
internal sealed class KeyResolver
{
    /// <summary>The default order (docs/behaviour.md#default-order): the tutorial's <c>detail.event_id</c>, then the fingerprint.</summary>
    public static IReadOnlyList<string> DefaultSources { get; } = ["detail.event_id", FingerprintKeySource.SourceName];

    private readonly IKeySource[] _sources;

    public KeyResolver(IEnumerable<IKeySource> sources)
    {
        _sources = [.. sources];
        if (_sources.Length == 0)
        {
            throw new ArgumentException("at least one key source is required", nameof(sources));
        }
    }

    public IReadOnlyList<IKeySource> Sources => _sources;

    /// <summary>Builds the sources from their configured names; throws <see cref="ArgumentException"/> naming a bad one.</summary>
    public static KeyResolver FromNames(IEnumerable<string>? names)
    {
        var list = names?.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).ToList();
        if (list is null || list.Count == 0)
        {
            list = [.. DefaultSources];
        }

        return new KeyResolver(list.Select(name => name switch
        {
            FingerprintKeySource.SourceName => FingerprintKeySource.Instance,
            EventBodyFingerprintKeySource.SourceName => EventBodyFingerprintKeySource.Instance,
            _ => (IKeySource)PathKeySource.Parse(name),
        }));
    }

    /// <summary>Path keys longer than this are replaced by a hash of themselves (DynamoDB keys stop at 2048 bytes).</summary>
    public const int MaxKeyLength = 512;

    /// <summary>The key, or the reason the event has none. A path key carries the fingerprint too, for conflict detection.</summary>
    public KeyResolution Resolve(DedupEvent dedupEvent)
    {
        foreach (var source in _sources)
        {
            var found = source.Resolve(dedupEvent);
            if (found.Error is not null)
            {
                return KeyResolution.Fail(found.Error);
            }

            if (!found.Found)
            {
                continue;
            }

            // A fingerprint key is its own fingerprint: an event can never conflict with itself.
            if (source is FingerprintKeySource or EventBodyFingerprintKeySource)
            {
                return new KeyResolution(new DedupKey(found.Value!, found.Value!, source.Name), null);
            }

            var fingerprint = FingerprintKeySource.Instance.Resolve(dedupEvent);
            return fingerprint.Error is not null
                ? KeyResolution.Fail(fingerprint.Error)
                : new KeyResolution(new DedupKey(BoundLength(found.Value!), fingerprint.Value!, source.Name), null);
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
