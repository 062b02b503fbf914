using System.Text.Json;

namespace GenesysDedup.Domain;

/// <summary>
/// One parsed event: the original UTF-8 JSON plus the envelope fields every component looks at.
/// A parsed event owns its pooled document until disposed. <see cref="ToOwned"/> makes a copy on memory of its own, which stays readable for as long as
/// anyone holds it.
/// </summary>
public sealed class DedupEvent : IDisposable
{
    private readonly JsonElement _root;
    private readonly JsonDocument? _document;

    internal DedupEvent(ReadOnlyMemory<byte> utf8Json, JsonDocument document)
    {
        Utf8Json = utf8Json;
        _document = document;
        var root = _root = document.RootElement;
        Id = root.GetStringOrNull("id");
        DetailType = root.GetStringOrNull("detail-type");
        Source = root.GetStringOrNull("source");
        if (root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Object)
        {
            TopicName = detail.GetStringOrNull("topicName");
        }
    }

    /// <summary>The event exactly as received (forwarded unchanged by the http handler).</summary>
    public ReadOnlyMemory<byte> Utf8Json { get; }

    /// <summary>The root JSON object.</summary>
    public JsonElement Root => _root;

    /// <summary>EventBridge envelope <c>id</c>, when present. A Genesys re-publish gets a new one.</summary>
    public string? Id { get; }

    /// <summary>EventBridge <c>detail-type</c>: for Genesys, the topic template with <c>{id}</c> placeholders.</summary>
    public string? DetailType { get; }

    /// <summary>EventBridge <c>source</c>, e.g. <c>aws.partner/genesys.com/cloud/...</c>.</summary>
    public string? Source { get; }

    /// <summary>Genesys <c>detail.topicName</c> with concrete ids, when present.</summary>
    public string? TopicName { get; }

    /// <summary>
    /// A copy that shares no pooled memory with this event: the original bytes and the parsed tree are copied, nothing
    /// is parsed again. Handlers get one, so a handler may keep the event after it returns.
    /// </summary>
    public DedupEvent ToOwned() => new(Utf8Json.ToArray(), _root.Clone(), this);

    private DedupEvent(ReadOnlyMemory<byte> utf8Json, JsonElement root, DedupEvent envelopeOf)
    {
        Utf8Json = utf8Json;
        _root = root;
        Id = envelopeOf.Id;
        DetailType = envelopeOf.DetailType;
        Source = envelopeOf.Source;
        TopicName = envelopeOf.TopicName;
    }

    /// <summary>Returns the parsed document's pooled buffers; the event must not be read afterwards.</summary>
    public void Dispose() => _document?.Dispose();
}

internal static class JsonElementExtensions
{
    public static string? GetStringOrNull(this JsonElement element, string propertyName) =>
        element.TryGetProperty(propertyName, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
