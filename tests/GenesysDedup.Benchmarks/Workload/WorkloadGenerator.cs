using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GenesysDedup.Testing;

namespace GenesysDedup.Benchmarks.Workload;

/// <summary>
/// <c>generate --out FILE.jsonl --events 5000 --duplicates 0.3 [--seed 1]</c>: the standard workload. Unique events are
/// the Genesys samples (user activity, audit, conversation detail, transcription of 1.5–4 KB) with every id inside
/// <c>detail</c> replaced by a fresh one and the body varied; duplicates are re-publishes of an earlier event — new
/// envelope <c>id</c> and <c>time</c>, every object's keys in reverse order, other whitespace — placed at least 64
/// events after their original so that concurrent replay finds the original completed, not in progress.
/// </summary>
public static partial class WorkloadGenerator
{
    /// <summary>The organisation id of the samples: kept, as every event of one org carries it.</summary>
    private const string OrganisationId = "3a9c8f6e-1b2d-4e5f-8a7b-9c0d1e2f3a4b";

    public static int Run(ToolArguments args)
    {
        var output = args.Require("out");
        var total = args.GetInt32("events", 5000);
        var duplicateShare = args.GetDouble("duplicates", 0.3);
        var random = new Random(args.GetInt32("seed", 1));
        if (total <= 0 || duplicateShare is < 0 or >= 1)
        {
            throw new ArgumentException("--events must be positive and --duplicates in [0, 1)");
        }

        var duplicates = (int)Math.Round(total * duplicateShare);
        var originals = total - duplicates;
        var entries = new List<(double Order, string Line, bool Duplicate)>(total);
        var bodies = new string[originals];
        for (var i = 0; i < originals; i++)
        {
            bodies[i] = Original(i, random);
            entries.Add((i, bodies[i], false));
        }

        for (var d = 0; d < duplicates; d++)
        {
            var source = random.Next(originals);
            entries.Add((source + 64 + (random.NextDouble() * 1000), Republish(bodies[source], random), true));
        }

        entries.Sort((a, b) => a.Order.CompareTo(b.Order));
        var directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        using (var writer = new StreamWriter(output, append: false, new UTF8Encoding(false)))
        {
            foreach (var entry in entries)
            {
                writer.Write(entry.Line);
                writer.Write('\n');
            }
        }

        var bytes = entries.Sum(e => (long)Encoding.UTF8.GetByteCount(e.Line));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"out\":\"{output}\",\"events\":{total},\"unique\":{originals},\"duplicates\":{duplicates},\"meanBytes\":{bytes / total}}}"));
        return 0;
    }

    private static readonly string[] Kinds = [Samples.UserActivity, Samples.Audit, Samples.ConversationDetail, Samples.Transcription];

    private static string Original(int index, Random random)
    {
        var kind = Kinds[index % Kinds.Length];
        var text = kind == Samples.Transcription
            ? Encoding.UTF8.GetString(EventBuilder.Transcription(random.Next(1536, 4096), random))
            : JsonNode.Parse(Samples.Text(kind))!.ToJsonString(EventBuilder.ProducerJson);

        // Fresh ids everywhere (consistently within the event, so topicName and eventBody agree), the org id kept.
        var map = new Dictionary<string, string>(StringComparer.Ordinal) { [OrganisationId] = OrganisationId };
        text = GuidPattern().Replace(text, match =>
        {
            if (!map.TryGetValue(match.Value, out var replacement))
            {
                replacement = EventBuilder.NewGuid(random).ToString();
                map[match.Value] = replacement;
            }

            return replacement;
        });

        var root = JsonNode.Parse(text)!.AsObject();
        var time = new DateTimeOffset(2026, 11, 20, 14, 0, 0, TimeSpan.Zero).AddMilliseconds(index * 250L + random.Next(250));
        root["time"] = time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var body = root["detail"]!["eventBody"]!.AsObject();
        if (body["eventTime"] is JsonValue eventTime && eventTime.GetValueKind() == JsonValueKind.Number)
        {
            body["eventTime"] = time.ToUnixTimeMilliseconds();
        }
        else
        {
            body["eventTime"] = time.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        }

        root["detail"]!["timestamp"] = time.AddMilliseconds(300).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return root.ToJsonString(EventBuilder.ProducerJson);
    }

    /// <summary>What Genesys sends when it re-publishes: new envelope id and time, keys reordered, other whitespace; same detail.</summary>
    private static string Republish(string original, Random random)
    {
        var root = JsonNode.Parse(original)!.AsObject();
        root["id"] = EventBuilder.NewGuid(random).ToString();
        root["time"] = "2026-11-21T09:00:00Z";
        var indented = Reverse(root)!.ToJsonString(new JsonSerializerOptions(EventBuilder.ProducerJson) { WriteIndented = true });

        // One line (JSON-lines), yet not the original's whitespace: newlines of the indented form become spaces.
        return indented.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ');
    }

    private static JsonNode? Reverse(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Reverse().Select(p => KeyValuePair.Create(p.Key, Reverse(p.Value?.DeepClone())))),
        JsonArray array => new JsonArray(array.Select(item => Reverse(item?.DeepClone())).ToArray()),
        _ => node?.DeepClone(),
    };

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex GuidPattern();
}
