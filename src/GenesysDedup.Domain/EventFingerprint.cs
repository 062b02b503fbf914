using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace GenesysDedup.Domain;

/// <summary>
/// <c>sha256:</c> + hex SHA-256 of the JCS form of what identifies a real event (docs/behaviour.md#keys, ADR 0006): <c>detail</c>
/// without its top-level <c>timestamp</c> when <c>detail</c> is an object; <c>detail</c> as it is when it is any other
/// non-null value; else the whole event. Envelope fields a re-publish changes (<c>id</c>, <c>time</c>,
/// <c>replay-name</c>, key order, whitespace, the re-stamped <c>detail.timestamp</c>) never reach the hash, while
/// <c>detail.metadata.CorrelationId</c> does: two notifications with equal bodies stay two events.
/// </summary>
internal static class EventFingerprint
{
    /// <summary>The default fingerprint (key source <c>fingerprint</c>).</summary>
    public static bool TryCompute(DedupEvent dedupEvent, [NotNullWhen(true)] out string? fingerprint, out string? error) =>
        JsonCanonicalizer.TryWrite(dedupEvent.Root, AppendIdentity, Sha256Text.Of, out fingerprint, out error);

    /// <summary>
    /// The older, wider identity (key source <c>eventbody-fingerprint</c>): the same hash of
    /// <c>{"eventBody","topicName"}</c> only. Fails with a reason when <c>detail</c> lacks either member.
    /// </summary>
    public static bool TryComputeEventBody(DedupEvent dedupEvent, [NotNullWhen(true)] out string? fingerprint, out string? error) =>
        JsonCanonicalizer.TryWrite(dedupEvent.Root, AppendEventBodyIdentity, Sha256Text.Of, out fingerprint, out error);

    /// <summary>Whether <c>detail</c> is an object carrying both <c>topicName</c> and <c>eventBody</c>.</summary>
    public static bool HasTopicNameAndEventBody(JsonElement root) =>
        TryGetTopicNameAndEventBody(root, out _, out _);

    /// <summary>Writes the canonical JSON the default fingerprint hashes, so tests can check exactly what identifies an event.</summary>
    public static bool TryWriteIdentity(JsonElement root, IBufferWriter<byte> output, out string? error) =>
        JsonCanonicalizer.TryWrite(root, AppendIdentity, output, out error);

    /// <summary>Writes the canonical JSON the <c>eventbody-fingerprint</c> source hashes: <c>{"eventBody":…,"topicName":…}</c>.</summary>
    public static bool TryWriteEventBodyIdentity(JsonElement root, IBufferWriter<byte> output, out string? error) =>
        JsonCanonicalizer.TryWrite(root, AppendEventBodyIdentity, output, out error);

    private static bool AppendIdentity(JsonElement root, ref JsonCanonicalizer.Writer writer)
    {
        // A null detail identifies nothing (hashing "null" would merge every such event): treated as no detail.
        // detail.timestamp says when Genesys published: a re-publish of the same notification may carry a new one.
        // With no detail (an input transformer's output) the whole body counts, nothing removed: its id or time may
        // be the only thing telling two events apart, and running one twice is better than losing one.
        return root.TryGetProperty("detail", out var detail) && detail.ValueKind != JsonValueKind.Null
            ? writer.TryAppend(detail, omit: "timestamp"u8)
            : writer.TryAppend(root);
    }

    private static bool AppendEventBodyIdentity(JsonElement root, ref JsonCanonicalizer.Writer writer)
    {
        if (!TryGetTopicNameAndEventBody(root, out var topicName, out var eventBody))
        {
            return writer.Fail("detail has no topicName and eventBody");
        }

        // Already in JCS key order.
        writer.Append("{\"eventBody\":"u8);
        if (!writer.TryAppend(eventBody))
        {
            return false;
        }

        writer.Append(",\"topicName\":"u8);
        if (!writer.TryAppend(topicName))
        {
            return false;
        }

        writer.Append("}"u8);
        return true;
    }

    private static bool TryGetTopicNameAndEventBody(JsonElement root, out JsonElement topicName, out JsonElement eventBody)
    {
        topicName = eventBody = default;
        return root.TryGetProperty("detail", out var detail)
            && detail.ValueKind == JsonValueKind.Object
            && detail.TryGetProperty("topicName", out topicName)
            && detail.TryGetProperty("eventBody", out eventBody);
    }
}
