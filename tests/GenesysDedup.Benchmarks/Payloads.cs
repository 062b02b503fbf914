using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using GenesysDedup.Testing;

namespace GenesysDedup.Benchmarks;

/// <summary>
/// Real-shaped Genesys events of the sizes the benchmarks name, built from the shipped samples as EventBridge
/// delivers them (compact JSON): ~1 KB is a user-activity event; ~4 KB and ~64 KB are transcription events with as many
/// transcript entries (each with its words) as reach the size.
/// </summary>
public static class Payloads
{
    public const string Small = "1KB";
    public const string Medium = "4KB";
    public const string Large = "64KB";

    public static IReadOnlyList<string> Sizes { get; } = [Small, Medium, Large];

    /// <summary>
    /// How producers such as Genesys (Jackson) write JSON: non-ASCII characters and apostrophes as they are, only what
    /// JSON requires escaped (System.Text.Json's default would write every non-ASCII character as <c>\uXXXX</c>).
    /// </summary>
    public static JsonSerializerOptions ProducerJson { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
                    Medium => Transcription(4 * 1024, new Random(4)),
                    Large => Transcription(64 * 1024, new Random(64)),
                    _ => throw new ArgumentOutOfRangeException(nameof(size), size, "expected 1KB, 4KB or 64KB"),
                };
                Cache[size] = bytes;
            }

            return bytes;
        }
    }

    /// <summary>A transcription event grown to at least <paramref name="targetBytes"/> with varied utterances.</summary>
    public static byte[] Transcription(int targetBytes, Random random)
    {
        var root = JsonNode.Parse(Samples.Text(Samples.Transcription))!.AsObject();
        var transcripts = root["detail"]!["eventBody"]!["transcripts"]!.AsArray();
        var template = transcripts[0]!.DeepClone();
        transcripts.Clear();
        var offset = 20_340;
        while (true)
        {
            transcripts.Add(Utterance(template, random, ref offset));
            var bytes = Encoding.UTF8.GetBytes(root.ToJsonString(ProducerJson));
            if (bytes.Length >= targetBytes)
            {
                return bytes;
            }
        }
    }

    private static readonly string[] Words =
    [
        "I'd", "like", "to", "change", "my", "delivery", "address", "please", "the", "order", "number", "is", "four",
        "seven", "two", "can", "you", "confirm", "that", "yes", "thank", "you", "for", "calling", "today", "let",
        "me", "check", "account", "payment", "refund", "été", "straße", "番号",
    ];

    private static JsonObject Utterance(JsonNode template, Random random, ref int offset)
    {
        var utterance = template.DeepClone().AsObject();
        utterance["utteranceId"] = NewGuid(random).ToString();
        utterance["channel"] = random.Next(2) == 0 ? "EXTERNAL" : "INTERNAL";
        var alternative = utterance["alternatives"]![0]!.AsObject();
        var words = new JsonArray();
        var text = new StringBuilder();
        var count = random.Next(4, 14);
        var start = offset;
        for (var i = 0; i < count; i++)
        {
            var word = Words[random.Next(Words.Length)];
            var duration = random.Next(80, 400);
            words.Add(new JsonObject
            {
                ["confidence"] = Math.Round(0.5 + (random.NextDouble() / 2), 3),
                ["offsetMs"] = offset,
                ["durationMs"] = duration,
                ["word"] = word,
            });
            text.Append(i == 0 ? string.Empty : " ").Append(word);
            offset += duration + random.Next(0, 60);
        }

        alternative["confidence"] = Math.Round(0.6 + (random.NextDouble() * 0.4), 3);
        alternative["offsetMs"] = start;
        alternative["durationMs"] = offset - start;
        alternative["transcript"] = text.ToString();
        alternative["words"] = words;
        return utterance;
    }

    /// <summary>A random (version 4 shaped) GUID from <paramref name="random"/>, so generated workloads are reproducible.</summary>
    public static Guid NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    public static byte[] Compact(string json) => Encoding.UTF8.GetBytes(JsonNode.Parse(json)!.ToJsonString(ProducerJson));

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
            result[i] = Encoding.UTF8.GetBytes(root.ToJsonString(ProducerJson));
        }

        return result;
    }
}
