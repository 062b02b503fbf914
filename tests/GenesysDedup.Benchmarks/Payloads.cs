using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GenesysDedup.Testing;

namespace GenesysDedup.Benchmarks;

/// <summary>
/// Real-shaped Genesys events of the sizes the benchmarks name, built from the shipped samples as EventBridge
/// delivers them (compact JSON): ~1 KB is a user-activity event; ~4 KB, ~64 KB and ~1 MB are transcription events with
/// as many transcript entries (each with its words) as reach the size. 1 MB is the largest entry EventBridge takes.
/// </summary>
public static class Payloads
{
    public const string Small = "1KB";
    public const string Medium = "4KB";
    public const string Large = "64KB";
    public const string Huge = "1MB";

    public static IReadOnlyList<string> Sizes { get; } = [Small, Medium, Large, Huge];

    private static readonly Dictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    public static byte[] Get(string size)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(size, out var bytes))
            {
                bytes = size switch
                {
                    Small => Compact(Samples.Text(Samples.UserActivity)),
                    Medium => EventBuilder.Transcription(4 * 1024, new Random(4)),
                    Large => EventBuilder.Transcription(64 * 1024, new Random(64)),
                    Huge => EventBuilder.Transcription(1024 * 1024, new Random(1024)),
                    _ => throw new ArgumentOutOfRangeException(nameof(size), size, "expected 1KB, 4KB, 64KB or 1MB"),
                };
                Cache[size] = bytes;
            }

            return bytes;
        }
    }

    public static byte[] Compact(string json) => Encoding.UTF8.GetBytes(JsonNode.Parse(json)!.ToJsonString(EventBuilder.ProducerJson));

    /// <summary>
    /// <paramref name="count"/> distinct events: <paramref name="template"/> with its <c>detail.eventBody.id</c> (or, if
    /// absent, a marker field) set to a per-call unique value, so each has its own fingerprint.
    /// </summary>
    public static byte[][] Unique(byte[] template, int count, string prefix)
    {
        var root = JsonNode.Parse(template)!.AsObject();
        var body = root["detail"]!["eventBody"]!.AsObject();
        var result = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            body["benchmarkMarker"] = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i}");
            root["id"] = Guid.NewGuid().ToString();
            result[i] = Encoding.UTF8.GetBytes(root.ToJsonString(EventBuilder.ProducerJson));
        }

        return result;
    }
}
