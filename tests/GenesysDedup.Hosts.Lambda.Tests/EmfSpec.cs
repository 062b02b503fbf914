using System.Text.Json;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// The CloudWatch Embedded Metric Format specification's required members, checked on one line: a JSON object with
/// <c>_aws.Timestamp</c> (integer milliseconds) and <c>_aws.CloudWatchMetrics</c> (directives with <c>Namespace</c>,
/// <c>Dimensions</c> and <c>Metrics</c>); every dimension a string member of the root, every metric a number or an array
/// of at most 100 numbers on the root; at most 30 keys per dimension set, 100 metric definitions per directive.
/// </summary>
internal static class EmfSpec
{
    private static readonly HashSet<string> Units =
    [
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits",
        "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
        "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
        "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    ];

    /// <summary>Parses <paramref name="line"/> and fails the test with the rule it breaks; returns the root.</summary>
    public static JsonElement AssertValid(string line)
    {
        var root = JsonDocument.Parse(line).RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        var aws = root.GetProperty("_aws");
        Assert.Equal(JsonValueKind.Object, aws.ValueKind);
        Assert.True(aws.GetProperty("Timestamp").TryGetInt64(out var timestamp) && timestamp > 0, "_aws.Timestamp must be integer milliseconds");
        var directives = aws.GetProperty("CloudWatchMetrics");
        Assert.NotEmpty(directives.EnumerateArray());
        foreach (var directive in directives.EnumerateArray())
        {
            Assert.InRange(directive.GetProperty("Namespace").GetString()!.Length, 1, 255);
            var sets = directive.GetProperty("Dimensions").EnumerateArray().ToList();
            Assert.NotEmpty(sets);
            foreach (var set in sets)
            {
                Assert.InRange(set.GetArrayLength(), 0, 30);
                foreach (var dimension in set.EnumerateArray())
                {
                    var target = root.GetProperty(dimension.GetString()!);
                    Assert.Equal(JsonValueKind.String, target.ValueKind);
                    Assert.InRange(target.GetString()!.Length, 1, 1024);
                }
            }

            var metrics = directive.GetProperty("Metrics").EnumerateArray().ToList();
            Assert.InRange(metrics.Count, 1, 100);
            foreach (var metric in metrics)
            {
                var name = metric.GetProperty("Name").GetString()!;
                Assert.InRange(name.Length, 1, 255);
                if (metric.TryGetProperty("Unit", out var unit))
                {
                    Assert.Contains(unit.GetString()!, Units);
                }

                var target = root.GetProperty(name);
                if (target.ValueKind == JsonValueKind.Array)
                {
                    Assert.InRange(target.GetArrayLength(), 1, 100);
                    Assert.All(target.EnumerateArray(), value => Assert.Equal(JsonValueKind.Number, value.ValueKind));
                }
                else
                {
                    Assert.Equal(JsonValueKind.Number, target.ValueKind);
                }
            }
        }

        return root;
    }

    /// <summary>The dimension sets of the directive that defines <paramref name="metric"/>.</summary>
    public static IReadOnlyList<string[]> DimensionsOf(JsonElement root, string metric) =>
        root.GetProperty("_aws").GetProperty("CloudWatchMetrics").EnumerateArray()
            .Where(d => d.GetProperty("Metrics").EnumerateArray().Any(m => m.GetProperty("Name").GetString() == metric))
            .SelectMany(d => d.GetProperty("Dimensions").EnumerateArray().Select(set => set.EnumerateArray().Select(x => x.GetString()!).ToArray()))
            .ToList();

    /// <summary>The lines of <paramref name="output"/> that are EMF documents.</summary>
    public static IReadOnlyList<string> Lines(string output) =>
        output.Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith("{\"_aws\":", StringComparison.Ordinal)).ToList();
}
