using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace GenesysDedup.Domain;

/// <summary>
/// The first 128 bits of the SHA-256 of a string's UTF-16 code units: how a key, owner or fingerprint is held in
/// process without a string. Two different strings share one only on a SHA-256 collision in 128 bits, odds of about
/// n²/2¹²⁹ among n strings (10⁻²⁷ for a million).
/// </summary>
/// <remarks>Two <see cref="ulong"/>s rather than a <see cref="UInt128"/>, whose 16-byte alignment would pad every
/// record that holds one.</remarks>
internal readonly record struct Digest128(ulong High, ulong Low)
{
    public static Digest128 Of(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(MemoryMarshal.AsBytes(value.AsSpan()), hash);
        return MemoryMarshal.Read<Digest128>(hash);
    }
}

/// <summary>
/// A <see cref="StoredRecord"/> as held in process: fixed size and free of references (owner and fingerprint as
/// <see cref="Digest128"/>s, times as UTC ticks), so the garbage collector has nothing in it to trace or copy. Records
/// held as strings made every collection under load copy each key kept, and pause the host 5–15 ms
/// (docs/performance.md).
/// </summary>
internal readonly record struct CompactRecord(bool Completed, Digest128 Owner, Digest128 Fingerprint, long LeaseExpiresAtTicks, long ExpiresAtTicks)
{
    public CompactRecord(bool completed, string owner, string fingerprint, DateTimeOffset leaseExpiresAt, DateTimeOffset expiresAt)
        : this(completed, Digest128.Of(owner), Digest128.Of(fingerprint), leaseExpiresAt.UtcTicks, expiresAt.UtcTicks)
    {
    }

    public DateTimeOffset LeaseExpiresAt => new(LeaseExpiresAtTicks, TimeSpan.Zero);

    public DateTimeOffset ExpiresAt => new(ExpiresAtTicks, TimeSpan.Zero);

    /// <inheritdoc cref="StoredRecord.IsLive(DateTimeOffset)"/>
    public bool IsLive(DateTimeOffset now) => StoredRecord.IsLive(Completed, LeaseExpiresAt, ExpiresAt, now);

    /// <inheritdoc cref="StoredRecord.YieldsToCompletion"/>
    public bool YieldsToCompletion(Digest128 owner, DateTimeOffset now) => StoredRecord.YieldsToCompletion(Owner == owner, IsLive(now));

    /// <summary>What a claim finds when this record holds the key: <see cref="StoredRecord.Judge(ClaimRequest)"/>,
    /// with the claim's owner and fingerprint given as digests.</summary>
    public ClaimResult Judge(DateTimeOffset now, Digest128 owner, Digest128 fingerprint) => StoredRecord.Judge(
        live: IsLive(now),
        sameOwner: Owner == owner,
        fingerprintDiffers: Fingerprint != fingerprint,
        Completed,
        LeaseExpiresAt);
}
