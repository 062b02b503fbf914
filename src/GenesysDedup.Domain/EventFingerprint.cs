using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace GenesysDedup.Domain;

/// <summary>
/// <c>sha256:</c> + hex SHA-256 of the JCS form of what identifies a real event (SPEC §3, ADR 0006): <c>detail</c>
/// without its top-level <c>timestamp</c> when <c>detail</c> is an object; <c>detail</c> as it is when it is any other
/// non-null value; else the whole event. Envelope fields a re-publish changes (<c>id</c>, <c>time</c>,
/// <c>replay-name</c>, key order, whitespace, the re-stamped <c>detail.timestamp</c>) never reach the hash, while
/// <c>detail.metadata.CorrelationId</c> does: two notifications with equal bodies stay two events.
/// </summary>
internal static class EventFingerprint
{
    public const string Prefix = "sha256:";

    /// <summary>The default fingerprint (key source <c>fingerprint</c>).</summary>
    public static bool TryCompute(DedupEvent dedupEvent, out string fingerprint, out string? error)
    {
        ArgumentNullException.ThrowIfNull(dedupEvent);
        return TryHash(dedupEvent, TryWriteIdentity, out fingerprint, out error);
    }

    /// <summary>
    /// The older, wider identity (key source <c>eventbody-fingerprint</c>): the same hash of
    /// <c>{"eventBody","topicName"}</c> only. Fails with a reason when <c>detail</c> lacks either member.
    /// </summary>
    public static bool TryComputeEventBody(DedupEvent dedupEvent, out string fingerprint, out string? error)
    {
        ArgumentNullException.ThrowIfNull(dedupEvent);
        return TryHash(dedupEvent, TryWriteEventBodyIdentity, out fingerprint, out error);
    }

    /// <summary>Whether <c>detail</c> is an object carrying both <c>topicName</c> and <c>eventBody</c>.</summary>
    public static bool HasTopicNameAndEventBody(JsonElement root) =>
        TryGetTopicNameAndEventBody(root, out _, out _);

    private delegate bool IdentityWriter(JsonElement root, IBufferWriter<byte> output, out string? error);

    private static bool TryHash(DedupEvent dedupEvent, IdentityWriter writeIdentity, out string fingerprint, out string? error)
    {
        var buffer = RentThreadBuffer(dedupEvent.Utf8Json.Length);
        try
        {
            if (!writeIdentity(dedupEvent.Root, buffer, out error))
            {
                fingerprint = string.Empty;
                return false;
            }

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.WrittenSpan, hash);
            fingerprint = string.Create(Prefix.Length + (SHA256.HashSizeInBytes * 2), hash, static (text, digest) =>
            {
                Prefix.CopyTo(text);
                Convert.TryToHexStringLower(digest, text[Prefix.Length..], out _);
            });
            return true;
        }
        finally
        {
            ReturnThreadBuffer(buffer);
        }
    }

    /// <summary>Canonical forms up to this size keep their pooled array on the thread between events.</summary>
    private const int KeptBufferBytes = 64 * 1024;

    // One writer per thread, reused: a fingerprint allocates nothing but its key string. Not re-entrant, and
    // TryHash never calls itself.
    [ThreadStatic]
    private static PooledBufferWriter? _threadBuffer;

    private static PooledBufferWriter RentThreadBuffer(int bodyLength)
    {
        var buffer = _threadBuffer;
        _threadBuffer = null;
        return buffer ?? new PooledBufferWriter(Math.Clamp(bodyLength, 256, KeptBufferBytes));
    }

    private static void ReturnThreadBuffer(PooledBufferWriter buffer)
    {
        if (!buffer.TryReset(KeptBufferBytes))
        {
            buffer.Dispose(); // grew past what a thread keeps: give the array back to the pool
            return;
        }

        _threadBuffer = buffer;
    }

    /// <summary>Writes the canonical JSON the default fingerprint hashes; exposed so tests can check exactly what identifies an event.</summary>
    public static bool TryWriteIdentity(JsonElement root, IBufferWriter<byte> output, out string? error)
    {
        // A null detail identifies nothing (hashing "null" would merge every such event): treated as no detail.
        if (root.TryGetProperty("detail", out var detail) && detail.ValueKind != JsonValueKind.Null)
        {
            // detail.timestamp says when Genesys published: a re-publish of the same notification may carry a new one.
            return detail.ValueKind == JsonValueKind.Object
                ? JsonCanonicalizer.TryWrite(detail, output, out error, DetailVolatileNames)
                : JsonCanonicalizer.TryWrite(detail, output, out error);
        }

        // No detail (an input transformer's output): the whole body, nothing removed. Its id or time may be the
        // only thing telling two events apart, and running one twice is better than losing one.
        return JsonCanonicalizer.TryWrite(root, output, out error);
    }

    /// <summary>Writes the canonical JSON the <c>eventbody-fingerprint</c> source hashes: <c>{"eventBody":…,"topicName":…}</c>.</summary>
    public static bool TryWriteEventBodyIdentity(JsonElement root, IBufferWriter<byte> output, out string? error)
    {
        if (!TryGetTopicNameAndEventBody(root, out var topicName, out var eventBody))
        {
            error = "detail has no topicName and eventBody";
            return false;
        }

        // Already in JCS key order.
        output.Write("{\"eventBody\":"u8);
        if (!JsonCanonicalizer.TryWrite(eventBody, output, out error))
        {
            return false;
        }

        output.Write(",\"topicName\":"u8);
        if (!JsonCanonicalizer.TryWrite(topicName, output, out error))
        {
            return false;
        }

        output.Write("}"u8);
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

    private static readonly string[] DetailVolatileNames = ["timestamp"];
}
