using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace GenesysDedup.Domain;

/// <summary>
/// <c>sha256:</c> + hex SHA-256 of the JCS form of what identifies a real event (SPEC §3): the Genesys
/// <c>topicName</c> + <c>eventBody</c>; else <c>detail</c>; else the whole event without <c>id</c> and <c>time</c>.
/// Envelope fields a re-publish changes (<c>id</c>, <c>time</c>, key order, whitespace) never reach the hash.
/// </summary>
public static class EventFingerprint
{
    public const string Prefix = "sha256:";

    public static bool TryCompute(DedupEvent dedupEvent, out string fingerprint, out string? error)
    {
        ArgumentNullException.ThrowIfNull(dedupEvent);
        var buffer = RentThreadBuffer(dedupEvent.Utf8Json.Length);
        try
        {
            if (!TryWriteIdentity(dedupEvent.Root, buffer, out error))
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
    // TryCompute never calls itself.
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

    /// <summary>Writes the canonical JSON that is hashed; exposed so tests can check exactly what identifies an event.</summary>
    public static bool TryWriteIdentity(JsonElement root, IBufferWriter<byte> output, out string? error)
    {
        if (root.TryGetProperty("detail", out var detail) && detail.ValueKind != JsonValueKind.Null)
        {
            if (detail.ValueKind == JsonValueKind.Object
                && detail.TryGetProperty("topicName", out var topicName)
                && detail.TryGetProperty("eventBody", out var eventBody))
            {
                // {"eventBody":…,"topicName":…} — already in JCS key order.
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

            return JsonCanonicalizer.TryWrite(detail, output, out error);
        }

        return JsonCanonicalizer.TryWrite(root, output, out error, EnvelopeVolatileNames);
    }

    private static readonly string[] EnvelopeVolatileNames = ["id", "time"];
}
