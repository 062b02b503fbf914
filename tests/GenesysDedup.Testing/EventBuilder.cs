using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GenesysDedup.Testing;

/// <summary>Builds real-shaped events for tests: unique Genesys events, their re-publishes, and tutorial events.</summary>
public static class EventBuilder
{
    /// <summary>
    /// How producers such as Genesys (Jackson) write JSON: non-ASCII characters and apostrophes as they are, only what
    /// JSON requires escaped (System.Text.Json's default would write every non-ASCII character as <c>\uXXXX</c>).
    /// </summary>
    public static JsonSerializerOptions ProducerJson { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A Genesys user-activity event whose eventBody is unique (a fresh id), so it has a fresh fingerprint; with
    /// <paramref name="topic"/>, under that <c>detail.topicName</c>.
    /// </summary>
    public static byte[] UniqueGenesysEvent(string? marker = null, string? topic = null)
    {
        var root = JsonNode.Parse(Samples.Text(Samples.UserActivity))!.AsObject();
        root["id"] = Guid.NewGuid().ToString();
        root["detail"]!["eventBody"]!["id"] = marker ?? Guid.NewGuid().ToString();
        if (topic is not null)
        {
            root["detail"]!["topicName"] = topic;
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>
    /// What Genesys sends when it re-publishes: a new EventBridge <c>id</c> and <c>time</c>, a re-stamped
    /// <c>detail.timestamp</c>, keys in another order, other whitespace — and the same rest of <c>detail</c>.
    /// </summary>
    public static byte[] Republish(ReadOnlySpan<byte> utf8Event)
    {
        var root = JsonNode.Parse(utf8Event)!.AsObject();
        root["id"] = Guid.NewGuid().ToString();
        root["time"] = "2026-11-21T09:00:00Z";
        if (root["detail"] is JsonObject detail && detail.ContainsKey("timestamp"))
        {
            detail["timestamp"] = "2026-11-21T08:59:59.321Z";
        }

        var reordered = Reverse(root)!;
        return Encoding.UTF8.GetBytes(reordered.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>An EventBridge archive replay of a Genesys re-publish: <see cref="Republish"/> plus a <c>replay-name</c>.</summary>
    public static byte[] Replay(ReadOnlySpan<byte> utf8Event)
    {
        var root = JsonNode.Parse(Republish(utf8Event))!.AsObject();
        root["replay-name"] = "genesys-archive-replay";
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>The older tutorial shape keyed by <c>detail.event_id</c>.</summary>
    public static byte[] Tutorial(string eventId, string data = "gold")
    {
        var root = JsonNode.Parse(Samples.Text(Samples.Tutorial))!.AsObject();
        root["id"] = Guid.NewGuid().ToString();
        root["detail"]!["event_id"] = eventId;
        root["detail"]!["data"]!["tier"] = data;
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>
    /// The transcription sample grown to at least <paramref name="targetBytes"/> (compact, as EventBridge delivers it)
    /// with varied utterances, each with its words: how a long call's transcription event gets large.
    /// </summary>
    public static byte[] Transcription(int targetBytes, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var root = JsonNode.Parse(Samples.Text(Samples.Transcription))!.AsObject();
        var transcripts = root["detail"]!["eventBody"]!["transcripts"]!.AsArray();
        var template = transcripts[0]!.DeepClone();
        transcripts.Clear();

        // Counted as it grows (each utterance plus its comma) rather than re-serialising the whole event each time.
        var length = Encoding.UTF8.GetByteCount(root.ToJsonString(ProducerJson)) - 1;
        var offset = 20_340;
        while (length < targetBytes)
        {
            var utterance = Utterance(template, random, ref offset);
            length += Encoding.UTF8.GetByteCount(utterance.ToJsonString(ProducerJson)) + 1;
            transcripts.Add(utterance);
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString(ProducerJson));
    }

    /// <summary>A random (version 4 shaped) GUID from <paramref name="random"/>, so generated events are reproducible.</summary>
    public static Guid NewGuid(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
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

    private static JsonNode? Reverse(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Reverse().Select(p => KeyValuePair.Create(p.Key, Reverse(p.Value?.DeepClone())))),
        JsonArray array => new JsonArray(array.Select(item => Reverse(item?.DeepClone())).ToArray()),
        _ => node?.DeepClone(),
    };
}
