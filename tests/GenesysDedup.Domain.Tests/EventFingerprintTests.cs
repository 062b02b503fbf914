using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GenesysDedup.Domain;
using GenesysDedup.Testing;

namespace GenesysDedup.Domain.Tests;

public sealed partial class EventFingerprintTests
{
    public static TheoryData<string> GenesysSamples => [.. Samples.GenesysNames];

    public static TheoryData<string> AllSamples => [.. Samples.GenesysNames, Samples.Tutorial];

    public static TheoryData<string, RepublishStyle> RepublishedSamples
    {
        get
        {
            var data = new TheoryData<string, RepublishStyle>();
            foreach (var sample in Samples.GenesysNames.Append(Samples.Tutorial))
            {
                foreach (var style in Enum.GetValues<RepublishStyle>())
                {
                    data.Add(sample, style);
                }
            }

            return data;
        }
    }

    /// <summary>
    /// Computed outside .NET (Python: <c>detail</c> without <c>timestamp</c>, sorted keys, no whitespace, UTF-8,
    /// SHA-256; equal to JCS for these samples, which have ASCII names and plainly printed numbers) so a change in what
    /// is hashed cannot go unnoticed.
    /// </summary>
    public static TheoryData<string, string> KnownFingerprints => new()
    {
        { Samples.Audit, "sha256:625852834bdcb0e566dc7fc18aa558371819488bb718c741b73750dad32d3cbe" },
        { Samples.ConversationDetail, "sha256:1d6a259e2a6e347c90b9c79748c92e1e0d32c11fd3d05974c1b196b431396bf9" },
        { Samples.Transcription, "sha256:159c605031d161031f7d9bf54302ff054f5f051cfedd3a9c2b186324ac7dd89e" },
        { Samples.UserActivity, "sha256:943087c7710c4695c5881db3f023fbbe2853c53c971ad4bf9c53ebc404c54cb6" },
        { Samples.ConversationSummaryCallA, "sha256:52cb37264ad96ddf2a82a238ebddb3b25ca9e77a2e01fb5fcec1fae907c1762a" },
        { Samples.ConversationSummaryCallB, "sha256:2a8fa08d1457c871b75e3ec811aa58dfdaef1bc342f382d2fac7b13167a6cde0" },
        { Samples.Tutorial, "sha256:f788145c6f3e3c3933f1dac2eb4f1c3acde64adafce43e4a7b916168d23c3105" },
    };

    /// <summary>The same Python computation over <c>{"eventBody","topicName"}</c> only: the old, wider identity.</summary>
    public static TheoryData<string, string> KnownEventBodyFingerprints => new()
    {
        { Samples.Audit, "sha256:a30ed20a5ebf323164ff084ee911bde58091a6b9b008ed9ff9d2a94cb14e5316" },
        { Samples.Transcription, "sha256:3ae145224a8e149dc1b2c9ee71bd946f7365b58ed91d3a981aaecb9e626cbfed" },
        { Samples.UserActivity, "sha256:897f72c16c8211a75dbc812190d3b2b19ab90c54b240b7df0ef09e28a3350227" },
        { Samples.ConversationSummaryCallA, "sha256:2ecbc32a197f5878799048fa864b06fb086b2d7422749f1eb0700d930f04e776" },
        { Samples.ConversationSummaryCallB, "sha256:2ecbc32a197f5878799048fa864b06fb086b2d7422749f1eb0700d930f04e776" },
    };

    [Theory]
    [MemberData(nameof(KnownFingerprints))]
    public void TryCompute_Sample_MatchesIndependentlyComputedFingerprint(string sample, string expected)
    {
        Assert.Equal(expected, TestJson.Fingerprint(Samples.Bytes(sample)));
    }

    [Theory]
    [MemberData(nameof(KnownEventBodyFingerprints))]
    public void TryComputeEventBody_Sample_MatchesIndependentlyComputedFingerprint(string sample, string expected)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(sample));

        Assert.True(EventFingerprint.TryComputeEventBody(dedupEvent, out var fingerprint, out var error), error);
        Assert.Equal(expected, fingerprint);
    }

    [Fact]
    public void TryCompute_ConversationSummaryPair_TwoEventsTwoFingerprints()
    {
        // The pair really has one topicName and one eventBody, byte for byte: only what Genesys and AWS stamp differs.
        using var callA = TestJson.Event(Samples.Bytes(Samples.ConversationSummaryCallA));
        using var callB = TestJson.Event(Samples.Bytes(Samples.ConversationSummaryCallB));
        var detailA = callA.Root.GetProperty("detail");
        var detailB = callB.Root.GetProperty("detail");
        Assert.Equal(detailA.GetProperty("topicName").GetRawText(), detailB.GetProperty("topicName").GetRawText());
        Assert.Equal(detailA.GetProperty("eventBody").GetRawText(), detailB.GetProperty("eventBody").GetRawText());
        Assert.NotEqual(
            detailA.GetProperty("metadata").GetProperty("CorrelationId").GetString(),
            detailB.GetProperty("metadata").GetProperty("CorrelationId").GetString());

        Assert.NotEqual(TestJson.Fingerprint(callA), TestJson.Fingerprint(callB));
    }

    [Fact]
    public void TryComputeEventBody_ConversationSummaryPair_OneFingerprint()
    {
        // What the opt-in eventbody-fingerprint trades away: the two real events merge.
        using var callA = TestJson.Event(Samples.Bytes(Samples.ConversationSummaryCallA));
        using var callB = TestJson.Event(Samples.Bytes(Samples.ConversationSummaryCallB));

        Assert.True(EventFingerprint.TryComputeEventBody(callA, out var a, out _));
        Assert.True(EventFingerprint.TryComputeEventBody(callB, out var b, out _));

        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData("{\"detail\":{\"eventBody\":{}}}")]
    [InlineData("{\"detail\":{\"topicName\":\"t\"}}")]
    [InlineData("{\"detail\":\"text\"}")]
    [InlineData("{\"topicName\":\"t\",\"eventBody\":{}}")]
    public void TryComputeEventBody_NoTopicNameAndEventBody_FailsWithReason(string json)
    {
        using var dedupEvent = TestJson.Event(json);

        Assert.False(EventFingerprint.HasTopicNameAndEventBody(dedupEvent.Root));
        Assert.False(EventFingerprint.TryComputeEventBody(dedupEvent, out var fingerprint, out var error));
        Assert.Null(fingerprint);
        Assert.Equal("detail has no topicName and eventBody", error);
    }

    [Theory]
    [MemberData(nameof(AllSamples))]
    public void TryCompute_Sample_IsSha256PrefixAnd64LowercaseHex(string sample)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(sample));

        Assert.True(EventFingerprint.TryCompute(dedupEvent, out var fingerprint, out var error));

        Assert.Null(error);
        Assert.Equal("sha256:", Sha256Text.Prefix);
        Assert.Matches(FingerprintFormat(), fingerprint);
    }

    [Fact]
    public void TryCompute_DistinctSamples_HaveDistinctFingerprints()
    {
        var fingerprints = Samples.GenesysNames.Append(Samples.Tutorial)
            .Select(sample => TestJson.Fingerprint(Samples.Bytes(sample)))
            .ToList();

        Assert.Equal(fingerprints.Count, fingerprints.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(RepublishedSamples))]
    public void TryCompute_Republished_SameFingerprint(string sample, RepublishStyle style)
    {
        var original = Samples.Bytes(sample);
        var republished = TestJson.Republish(original, "f00dfeed-0000-4000-8000-000000000001", "2026-11-24T09:00:00Z", style);

        using var originalEvent = TestJson.Event(original);
        using var republishedEvent = TestJson.Event(republished);

        // The re-publish really is different on the wire: new id, new time, other bytes.
        Assert.NotEqual(original, republished);
        Assert.Equal("f00dfeed-0000-4000-8000-000000000001", republishedEvent.Id);
        Assert.NotEqual(originalEvent.Id, republishedEvent.Id);
        Assert.NotEqual(
            originalEvent.Root.GetProperty("time").GetString(),
            republishedEvent.Root.GetProperty("time").GetString());
        Assert.NotEqual(
            originalEvent.Root.EnumerateObject().First().Name,
            republishedEvent.Root.EnumerateObject().First().Name);

        Assert.Equal(TestJson.Fingerprint(originalEvent), TestJson.Fingerprint(republishedEvent));
    }

    [Fact]
    public void TryCompute_RepublishedWithEscapedStrings_SameFingerprint()
    {
        // The default System.Text.Json encoder writes "+" as \u002B: the sample's "tel:+1555..." values change spelling.
        var original = Samples.Bytes(Samples.ConversationDetail);
        var republished = TestJson.Republish(original, "x", "y", RepublishStyle.CompactEscaped);
        Assert.Contains("\\u002B", Encoding.UTF8.GetString(republished), StringComparison.Ordinal);

        Assert.Equal(TestJson.Fingerprint(original), TestJson.Fingerprint(republished));
    }

    [Theory]
    [MemberData(nameof(GenesysSamples))]
    public void TryCompute_AnyEventBodyValueChanged_DifferentFingerprint(string sample)
    {
        var original = Samples.Bytes(sample);
        var originalFingerprint = TestJson.Fingerprint(original);
        var count = CountEventBodyValues(original);
        Assert.True(count > 3, $"{sample} has only {count} values in eventBody");

        for (var i = 0; i < count; i++)
        {
            var changed = ChangeEventBodyValue(original, i, out var path);

            Assert.NotEqual(originalFingerprint, TestJson.Fingerprint(changed));
            Assert.True(path.Length > 0, path);
        }
    }

    [Theory]
    [MemberData(nameof(GenesysSamples))]
    public void TryCompute_TopicNameChanged_DifferentFingerprint(string sample)
    {
        var node = JsonNode.Parse(Samples.Bytes(sample))!;
        node["detail"]!["topicName"] = node["detail"]!["topicName"]!.GetValue<string>() + ".other";

        Assert.NotEqual(TestJson.Fingerprint(Samples.Bytes(sample)), TestJson.Fingerprint(node.ToJsonString()));
    }

    [Theory]
    [InlineData("id", "\"another-id\"")]
    [InlineData("time", "\"2030-01-01T00:00:00Z\"")]
    [InlineData("account", "\"999999999999\"")]
    [InlineData("region", "\"eu-west-1\"")]
    [InlineData("resources", "[\"arn:aws:events:eu-west-1:999999999999:rule/x\"]")]
    [InlineData("detail-type", "\"v2.other.{id}\"")]
    [InlineData("source", "\"aws.partner/genesys.com/cloud/other/audit-events\"")]
    [InlineData("replay-name", "\"replay-1\"")]
    [InlineData("detail.timestamp", "\"2030-01-01T00:00:00.000Z\"")]
    [InlineData("detail.timestamp", "1795780860000")]
    public void TryCompute_GenesysEventEnvelopeOrDetailTimestampChanged_SameFingerprint(string path, string newValue)
    {
        var original = Samples.Bytes(Samples.Audit);

        Assert.Equal(TestJson.Fingerprint(original), TestJson.Fingerprint(Changed(original, path, newValue)));
    }

    [Theory]
    [InlineData("detail.version", "\"3\"")]
    [InlineData("detail.metadata", "{\"CorrelationId\":\"another\"}")]
    [InlineData("detail.metadata", "{\"CorrelationId\":\"f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f\",\"extra\":1}")]
    [InlineData("detail.added", "true")]
    public void TryCompute_GenesysDetailOutsideTimestampChanged_DifferentFingerprint(string path, string newValue)
    {
        var original = Samples.Bytes(Samples.Audit);

        Assert.NotEqual(TestJson.Fingerprint(original), TestJson.Fingerprint(Changed(original, path, newValue)));
    }

    [Fact]
    public void TryCompute_DetailTimestampRemoved_SameFingerprint()
    {
        var node = JsonNode.Parse(Samples.Bytes(Samples.Audit))!;
        Assert.True(node["detail"]!.AsObject().Remove("timestamp"));

        Assert.Equal(TestJson.Fingerprint(Samples.Bytes(Samples.Audit)), TestJson.Fingerprint(node.ToJsonString()));
    }

    [Fact]
    public void TryCompute_TimestampBelowTheTopOfDetail_Counts()
    {
        // Only detail's own timestamp member is left out; one inside eventBody is the event's content.
        var a = TestJson.Fingerprint("{\"detail\":{\"eventBody\":{\"timestamp\":\"a\"},\"timestamp\":\"x\"}}");
        var b = TestJson.Fingerprint("{\"detail\":{\"eventBody\":{\"timestamp\":\"b\"},\"timestamp\":\"x\"}}");
        var topLevel = TestJson.Fingerprint("{\"timestamp\":\"a\",\"x\":1}");
        var topLevelOther = TestJson.Fingerprint("{\"timestamp\":\"b\",\"x\":1}");

        Assert.NotEqual(a, b);
        Assert.NotEqual(topLevel, topLevelOther);
    }

    private static string Changed(byte[] original, string path, string newValue)
    {
        var node = JsonNode.Parse(original)!.AsObject();
        var segments = path.Split('.');
        var parent = segments.Length == 2 ? node[segments[0]]!.AsObject() : node;
        parent[segments[^1]] = JsonNode.Parse(newValue);
        return node.ToJsonString();
    }

    [Fact]
    public void TryCompute_EpochMillisecondEventTime_IsAccepted()
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(Samples.ConversationDetail));
        var eventTime = dedupEvent.Root.GetProperty("detail").GetProperty("eventBody").GetProperty("eventTime");
        Assert.Equal(JsonValueKind.Number, eventTime.ValueKind);

        Assert.True(EventFingerprint.TryCompute(dedupEvent, out var fingerprint, out var error), error);
        Assert.Matches(FingerprintFormat(), fingerprint);
    }

    [Fact]
    public void TryCompute_IsoStringEventTime_IsAccepted()
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(Samples.Transcription));
        var eventTime = dedupEvent.Root.GetProperty("detail").GetProperty("eventBody").GetProperty("eventTime");
        Assert.Equal(JsonValueKind.String, eventTime.ValueKind);

        Assert.True(EventFingerprint.TryCompute(dedupEvent, out var fingerprint, out var error), error);
        Assert.Matches(FingerprintFormat(), fingerprint);
    }

    [Theory]
    [InlineData("1763647541873.0")]
    [InlineData("1.763647541873e12")]
    [InlineData("1763647541873E0")]
    [InlineData("17636475418730e-1")]
    public void TryCompute_SameEpochMillisecondsWrittenDifferently_SameFingerprint(string spelling)
    {
        var text = Samples.Text(Samples.ConversationDetail);
        var respelled = text.Replace("\"eventTime\": 1763647541873", "\"eventTime\": " + spelling, StringComparison.Ordinal);
        Assert.NotEqual(text, respelled);

        Assert.Equal(TestJson.Fingerprint(text), TestJson.Fingerprint(respelled));
    }

    [Fact]
    public void TryCompute_EpochMillisecondsVersusIsoStringOfTheSameInstant_AreDifferentEvents()
    {
        // JCS compares JSON values, not meanings: a number and a string are never the same value.
        var text = Samples.Text(Samples.ConversationDetail);
        var asString = text.Replace("\"eventTime\": 1763647541873", "\"eventTime\": \"2025-11-20T14:05:41.873Z\"", StringComparison.Ordinal);
        Assert.NotEqual(text, asString);

        Assert.NotEqual(TestJson.Fingerprint(text), TestJson.Fingerprint(asString));
    }

    [Theory]
    [MemberData(nameof(GenesysSamples))]
    public void TryCompute_GenesysEvent_IsSha256OfCanonicalDetailWithoutTimestamp(string sample)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(sample));
        var detail = JsonNode.Parse(dedupEvent.Root.GetProperty("detail").GetRawText())!.AsObject();
        Assert.True(detail.Remove("timestamp"));

        Assert.Equal(Sha256Fingerprint(TestJson.Canonical(detail.ToJsonString())), TestJson.Fingerprint(dedupEvent));
    }

    [Theory]
    [MemberData(nameof(GenesysSamples))]
    public void TryWriteIdentity_GenesysEvent_WritesCanonicalDetailWithMetadataAndWithoutTimestamp(string sample)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(sample));
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(EventFingerprint.TryWriteIdentity(dedupEvent.Root, buffer, out var error), error);

        var written = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.StartsWith("{\"eventBody\":{", written, StringComparison.Ordinal);
        Assert.Contains(",\"metadata\":{\"CorrelationId\":\"", written, StringComparison.Ordinal);
        Assert.EndsWith(",\"version\":\"2\"}", written, StringComparison.Ordinal);
        Assert.DoesNotContain("\"timestamp\"", written, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GenesysSamples))]
    public void TryComputeEventBody_GenesysEvent_IsSha256OfCanonicalEventBodyAndTopicName(string sample)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(sample));
        var detail = dedupEvent.Root.GetProperty("detail");
        var identity = "{\"eventBody\":" + TestJson.Canonicalize(detail.GetProperty("eventBody"))
            + ",\"topicName\":" + TestJson.Canonicalize(detail.GetProperty("topicName")) + "}";

        Assert.True(EventFingerprint.TryComputeEventBody(dedupEvent, out var fingerprint, out var error), error);
        Assert.Equal(Sha256Fingerprint(identity), fingerprint);
    }

    [Theory]
    [MemberData(nameof(GenesysSamples))]
    public void TryWriteEventBodyIdentity_GenesysEvent_WritesCanonicalTopicNameAndEventBodyObject(string sample)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(sample));
        var detail = dedupEvent.Root.GetProperty("detail");
        // The same object built the obvious way and canonicalized as a whole.
        var built = new JsonObject
        {
            ["topicName"] = JsonNode.Parse(detail.GetProperty("topicName").GetRawText()),
            ["eventBody"] = JsonNode.Parse(detail.GetProperty("eventBody").GetRawText()),
        };
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(EventFingerprint.TryWriteEventBodyIdentity(dedupEvent.Root, buffer, out var error), error);

        var written = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.StartsWith("{\"eventBody\":{", written, StringComparison.Ordinal);
        Assert.Equal(TestJson.Canonical(built.ToJsonString()), written);
    }

    [Theory]
    [InlineData("{\"id\":\"1\",\"time\":\"t\",\"detail\":{\"topicName\":\"t\",\"version\":\"2\",\"metadata\":{\"CorrelationId\":\"c\"}}}")]
    [InlineData("{\"id\":\"1\",\"time\":\"t\",\"detail\":{\"eventBody\":{\"a\":1},\"version\":\"2\"}}")]
    [InlineData("{\"id\":\"1\",\"time\":\"t\",\"detail\":{\"event_id\":\"e\",\"event_type\":\"x\",\"data\":{\"b\":[1,2],\"a\":null}}}")]
    [InlineData("{\"id\":\"1\",\"time\":\"t\",\"detail\":{}}")]
    [InlineData("{\"id\":\"1\",\"time\":\"t\",\"detail\":\"just text\"}")]
    [InlineData("{\"id\":\"1\",\"time\":\"t\",\"detail\":[3,1,2]}")]
    public void TryCompute_DetailWithoutTimestamp_IsSha256OfCanonicalDetail(string json)
    {
        using var dedupEvent = TestJson.Event(json);
        var expected = Sha256Fingerprint(TestJson.Canonicalize(dedupEvent.Root.GetProperty("detail")));

        Assert.Equal(expected, TestJson.Fingerprint(dedupEvent));
    }

    [Fact]
    public void TryCompute_DetailFallback_IgnoresTheEnvelopeButNotTheDetail()
    {
        const string Event = "{\"id\":\"1\",\"time\":\"t1\",\"source\":\"s\",\"detail\":{\"version\":\"2\",\"metadata\":{\"CorrelationId\":\"c\"}}}";
        const string OtherEnvelope = "{\"detail\":{\"metadata\":{\"CorrelationId\":\"c\"},\"version\":\"2\"},\"source\":\"s2\",\"time\":\"t2\",\"id\":\"2\"}";
        const string OtherDetail = "{\"id\":\"1\",\"time\":\"t1\",\"source\":\"s\",\"detail\":{\"version\":\"2\",\"metadata\":{\"CorrelationId\":\"d\"}}}";

        Assert.Equal(TestJson.Fingerprint(Event), TestJson.Fingerprint(OtherEnvelope));
        Assert.NotEqual(TestJson.Fingerprint(Event), TestJson.Fingerprint(OtherDetail));
    }

    [Fact]
    public void TryCompute_TutorialEvent_IsSha256OfCanonicalDetail()
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(Samples.Tutorial));

        Assert.Equal(
            Sha256Fingerprint("{\"data\":{\"customerId\":\"C-1042\",\"tier\":\"gold\"},\"event_id\":\"evt-0001\",\"event_type\":\"customer.updated\"}"),
            TestJson.Fingerprint(dedupEvent));
    }

    [Theory]
    [InlineData("{\"id\":\"a\",\"time\":\"2026-01-01T00:00:00Z\",\"orderId\":42,\"lines\":[{\"sku\":\"A\"}]}")]
    [InlineData("{\"detail\":null,\"id\":\"a\",\"time\":\"2026-01-01T00:00:00Z\",\"orderId\":42,\"lines\":[{\"sku\":\"A\"}]}")]
    [InlineData("{\"timestamp\":\"2026-01-01T00:00:00Z\",\"orderId\":42}")]
    public void TryCompute_NoDetail_IsSha256OfWholeEventAsReceived(string json)
    {
        using var dedupEvent = TestJson.Event(json);

        Assert.Equal(Sha256Fingerprint(TestJson.Canonical(json)), TestJson.Fingerprint(dedupEvent));
    }

    [Fact]
    public void TryCompute_WholeEventFallback_KeyOrderAndWhitespaceDoNotCount()
    {
        var a = TestJson.Fingerprint("{\"id\":\"a\",\"time\":\"t1\",\"orderId\":42}");
        var b = TestJson.Fingerprint("{ \"orderId\" : 42,\n\t\"time\": \"t1\", \"id\": \"a\" }");

        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData("{\"id\":\"b\",\"time\":\"t1\",\"orderId\":42}")]
    [InlineData("{\"id\":\"a\",\"time\":\"t2\",\"orderId\":42}")]
    [InlineData("{\"orderId\":42}")]
    [InlineData("{\"id\":\"a\",\"time\":\"t1\",\"orderId\":42,\"detail\":null}")]
    [InlineData("{\"id\":\"a\",\"time\":\"t1\",\"orderId\":43}")]
    [InlineData("{\"id\":\"a\",\"time\":\"t1\",\"orderId\":42,\"extra\":true}")]
    [InlineData("{\"id\":\"a\",\"time\":\"t1\",\"orderId\":42,\"ID\":\"b\"}")]
    [InlineData("{\"id\":\"a\",\"time\":\"t1\",\"orderId\":{\"id\":1}}")]
    public void TryCompute_WholeEventFallback_EveryMemberCounts(string json)
    {
        // An input transformer's output may carry nothing but an id and a time to tell two events apart.
        var baseline = TestJson.Fingerprint("{\"id\":\"a\",\"time\":\"t1\",\"orderId\":42}");

        Assert.NotEqual(baseline, TestJson.Fingerprint(json));
    }

    [Fact]
    public void TryCompute_EmptyObject_HashesEmptyObject()
    {
        Assert.Equal(Sha256Fingerprint("{}"), TestJson.Fingerprint("{}"));
        Assert.Equal(Sha256Fingerprint("{}"), TestJson.Fingerprint("{\"detail\":{}}"));
        Assert.Equal(Sha256Fingerprint("{}"), TestJson.Fingerprint("{\"id\":\"x\",\"detail\":{\"timestamp\":\"y\"}}"));
    }

    [Theory]
    [InlineData("{\"detail\":{\"topicName\":\"t\",\"eventBody\":{\"n\":1e400}}}")]
    [InlineData("{\"detail\":{\"topicName\":\"t\",\"eventBody\":{},\"x\":1},\"y\":[-1e999]}", false)]
    [InlineData("{\"detail\":{\"event_id\":\"e\",\"data\":[1e309]}}")]
    [InlineData("{\"detail\":{\"metadata\":{\"n\":1e309}}}")]
    [InlineData("{\"detail\":{\"eventBody\":{},\"timestamp\":1e999}}", false)]
    [InlineData("{\"id\":\"a\",\"n\":-1e400}")]
    public void TryCompute_NumberBeyondDoubleRange_FailsWithReason(string json, bool fails = true)
    {
        using var dedupEvent = TestJson.Event(json);

        var ok = EventFingerprint.TryCompute(dedupEvent, out var fingerprint, out var error);

        // Numbers outside what identifies the event never reach the hash, so they cannot fail it.
        Assert.Equal(!fails, ok);
        if (fails)
        {
            Assert.Null(fingerprint);
            Assert.Equal("number is outside the IEEE 754 double range, which JCS cannot represent", error);
        }
        else
        {
            Assert.Matches(FingerprintFormat(), fingerprint);
        }
    }

    private static string Sha256Fingerprint(string canonical) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex FingerprintFormat();

    private static int CountEventBodyValues(byte[] utf8)
    {
        var count = 0;
        Visit(JsonNode.Parse(utf8)!["detail"]!["eventBody"]!, "detail.eventBody", (_, _) => count++);
        return count;
    }

    /// <summary>Returns the event with the <paramref name="index"/>-th value inside eventBody changed.</summary>
    private static string ChangeEventBodyValue(byte[] utf8, int index, out string path)
    {
        var root = JsonNode.Parse(utf8)!;
        var seen = 0;
        var changedPath = string.Empty;
        Visit(root["detail"]!["eventBody"]!, "detail.eventBody", (node, at) =>
        {
            if (seen++ == index)
            {
                changedPath = at;
                Change(node);
            }
        });
        path = changedPath;
        return root.ToJsonString();
    }

    // Visits every scalar, and every empty object or array, in document order.
    private static void Visit(JsonNode node, string path, Action<JsonNode, string> visit)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                foreach (var (name, child) in obj.ToList())
                {
                    Visit(child ?? throw new InvalidOperationException($"null at {path}.{name}"), $"{path}.{name}", visit);
                }

                break;
            case JsonArray array when array.Count > 0:
                for (var i = 0; i < array.Count; i++)
                {
                    Visit(array[i]!, $"{path}.{i}", visit);
                }

                break;
            default:
                visit(node, path);
                break;
        }
    }

    private static void Change(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                obj["added"] = 1;
                break;
            case JsonArray array:
                array.Add("added");
                break;
            default:
                var replacement = node.GetValueKind() switch
                {
                    JsonValueKind.String => JsonValue.Create(node.GetValue<string>() + "x"),
                    JsonValueKind.Number => JsonValue.Create(node.GetValue<double>() + 1),
                    JsonValueKind.True => JsonValue.Create(false),
                    JsonValueKind.False => JsonValue.Create(true),
                    var kind => throw new InvalidOperationException($"unexpected {kind}"),
                };
                node.ReplaceWith(replacement);
                break;
        }
    }
}
