using System.Security.Cryptography;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using GenesysDedup.Domain;

namespace GenesysDedup.Benchmarks.Micro;

/// <summary>
/// Parse + key + fingerprint on real-shaped Genesys events of ~1 KB, ~4 KB, ~64 KB and ~1 MB (the largest entry). The baseline is the floor:
/// one SHA-256 over the raw body (any fingerprint must at least hash that many bytes); <see cref="JsonDocumentParse"/>
/// is what System.Text.Json alone costs.
/// </summary>
[Config(typeof(BenchConfig))]
public class HotPathBenchmarks
{
    private byte[] _body = [];
    private DedupEvent? _parsed;
    private readonly KeyResolver _resolver = KeyResolver.FromNames(null);
    private readonly byte[] _hash = new byte[SHA256.HashSizeInBytes];

    [ParamsSource(nameof(SizeValues))]
    public string Size { get; set; } = Payloads.Small;

    public static IEnumerable<string> SizeValues => Payloads.Sizes;

    [GlobalSetup]
    public void Setup()
    {
        _body = Payloads.Get(Size);
        _parsed = EventParser.Parse(_body).Event ?? throw new InvalidOperationException("payload does not parse");
    }

    [GlobalCleanup]
    public void Cleanup() => _parsed?.Dispose();

    /// <summary>Floor: hash the body once.</summary>
    [Benchmark(Baseline = true)]
    public byte[] Sha256OfBody()
    {
        SHA256.HashData(_body, _hash);
        return _hash;
    }

    /// <summary>System.Text.Json's own parse of the body.</summary>
    [Benchmark]
    public int JsonDocumentParse()
    {
        using var document = JsonDocument.Parse(_body);
        return document.RootElement.GetPropertyCount();
    }

    /// <summary>Our parse (size, UTF-8, surrogate and depth checks, JsonDocument, envelope fields).</summary>
    [Benchmark]
    public string? Parse()
    {
        using var parsed = EventParser.Parse(_body).Event!;
        return parsed.Id;
    }

    /// <summary>Key + fingerprint of an already parsed event (default sources: detail.event_id, then fingerprint).</summary>
    [Benchmark]
    public string KeyAndFingerprint() => _resolver.Resolve(_parsed!).Key!.Value.Value;

    /// <summary>The whole hot path before the store: parse, then key + fingerprint.</summary>
    [Benchmark]
    public string ParseKeyFingerprint()
    {
        using var parsed = EventParser.Parse(_body).Event!;
        return _resolver.Resolve(parsed).Key!.Value.Value;
    }
}
