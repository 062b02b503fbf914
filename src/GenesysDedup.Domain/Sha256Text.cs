using System.Security.Cryptography;

namespace GenesysDedup.Domain;

/// <summary>How a SHA-256 is written in a key or fingerprint: <c>sha256:</c> + 64 lowercase hex digits.</summary>
internal static class Sha256Text
{
    public const string Prefix = "sha256:";

    public static string Of(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        return string.Create(Prefix.Length + (hash.Length * 2), hash, static (text, digest) =>
        {
            Prefix.CopyTo(text);
            Convert.TryToHexStringLower(digest, text[Prefix.Length..], out _);
        });
    }
}
