using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GenesysDedup.Testing;

/// <summary>Builds real-shaped events for tests: unique Genesys events, their re-publishes, and tutorial events.</summary>
public static class EventBuilder
{
    /// <summary>A Genesys user-activity event whose eventBody is unique (a fresh id), so it has a fresh fingerprint.</summary>
    public static byte[] UniqueGenesysEvent(string? marker = null)
    {
        var root = JsonNode.Parse(Samples.Text(Samples.UserActivity))!.AsObject();
        root["id"] = Guid.NewGuid().ToString();
        root["detail"]!["eventBody"]!["id"] = marker ?? Guid.NewGuid().ToString();
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

    private static JsonNode? Reverse(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Reverse().Select(p => KeyValuePair.Create(p.Key, Reverse(p.Value?.DeepClone())))),
        JsonArray array => new JsonArray(array.Select(item => Reverse(item?.DeepClone())).ToArray()),
        _ => node?.DeepClone(),
    };
}
