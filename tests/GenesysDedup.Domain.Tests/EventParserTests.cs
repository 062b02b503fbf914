using System.Text;
using GenesysDedup.Domain;
using GenesysDedup.Testing;

namespace GenesysDedup.Domain.Tests;

public sealed class EventParserTests
{
    private const string AuditTopic = "v2.audits.entitytype.user.entityid.8f2d1c3b-5a6e-4b7c-9d8e-0f1a2b3c4d5e";

    public static TheoryData<string> AllSamples => [.. Samples.GenesysNames, Samples.Tutorial];

    [Theory]
    [MemberData(nameof(AllSamples))]
    public void Parse_EverySample_ReturnsEventWithTheOriginalBytes(string sample)
    {
        var bytes = Samples.Bytes(sample);

        var result = EventParser.Parse(bytes);

        Assert.True(result.IsValid, result.Error);
        Assert.Null(result.Error);
        using var dedupEvent = result.Event!;
        Assert.Equal(bytes, dedupEvent.Utf8Json.ToArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, dedupEvent.Root.ValueKind);
    }

    [Fact]
    public void Parse_EventBridgeEnvelope_ExtractsEnvelopeFields()
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(Samples.Audit));

        Assert.Equal("6c8d7a4e-3b1f-4d2a-9f51-0a2b3c4d5e6f", dedupEvent.Id);
        Assert.Equal("v2.audits.entitytype.{id}.entityid.{id}", dedupEvent.DetailType);
        Assert.Equal("aws.partner/genesys.com/cloud/3a9c8f6e-1b2d-4e5f-8a7b-9c0d1e2f3a4b/audit-events", dedupEvent.Source);
        Assert.Equal(AuditTopic, dedupEvent.TopicName);
    }

    [Theory]
    [MemberData(nameof(GenesysSamples))]
    public void Parse_GenesysSample_SourceIsThePartnerBusAndDetailTypeIsTheTopicTemplate(string sample)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(sample));

        Assert.StartsWith("aws.partner/genesys.com/cloud/", dedupEvent.Source, StringComparison.Ordinal);
        Assert.Contains("{id}", dedupEvent.DetailType, StringComparison.Ordinal);
        Assert.NotNull(dedupEvent.TopicName);
        Assert.DoesNotContain("{id}", dedupEvent.TopicName, StringComparison.Ordinal);
    }

    public static TheoryData<string> GenesysSamples => [.. Samples.GenesysNames];

    [Fact]
    public void Parse_TutorialShape_HasEnvelopeFieldsButNoTopicName()
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(Samples.Tutorial));

        Assert.Equal("11111111-2222-4333-8444-555555555555", dedupEvent.Id);
        Assert.Equal("CustomerUpdated", dedupEvent.DetailType);
        Assert.Equal("com.example.crm", dedupEvent.Source);
        Assert.Null(dedupEvent.TopicName);
        Assert.Equal("evt-0001", dedupEvent.Root.GetProperty("detail").GetProperty("event_id").GetString());
    }

    [Fact]
    public void Parse_ArchiveReplayWithReplayName_IsAccepted()
    {
        var replay = Samples.Text(Samples.Audit).Replace(
            "\"region\": \"us-east-1\",",
            "\"region\": \"us-east-1\",\n  \"replay-name\": \"genesys-replay-2026-11-21\",",
            StringComparison.Ordinal);
        Assert.Contains("replay-name", replay, StringComparison.Ordinal);

        using var dedupEvent = TestJson.Event(replay);

        Assert.Equal("genesys-replay-2026-11-21", dedupEvent.Root.GetProperty("replay-name").GetString());
        Assert.Equal(AuditTopic, dedupEvent.TopicName);
    }

    [Fact]
    public void Parse_BareGenesysDetail_IsAcceptedWithoutEnvelopeFields()
    {
        // An API destination input transformer may forward only $.detail.
        using var document = System.Text.Json.JsonDocument.Parse(Samples.Bytes(Samples.UserActivity));
        var detail = document.RootElement.GetProperty("detail").GetRawText();

        using var dedupEvent = TestJson.Event(detail);

        Assert.Null(dedupEvent.Id);
        Assert.Null(dedupEvent.DetailType);
        Assert.Null(dedupEvent.Source);
        Assert.Equal("2", dedupEvent.Root.GetProperty("version").GetString());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"hello\":\"world\"}")]
    [InlineData("{\"orderId\":42,\"lines\":[{\"sku\":\"A\",\"qty\":1.5}],\"gift\":false,\"note\":null}")]
    [InlineData("{\"id\":7,\"detail\":\"not an object\",\"source\":[]}")]
    public void Parse_AnyOtherObject_IsAccepted(string json)
    {
        using var dedupEvent = TestJson.Event(json);

        Assert.Equal(json, Encoding.UTF8.GetString(dedupEvent.Utf8Json.Span));
    }

    [Fact]
    public void Parse_EnvelopeFieldsOfTheWrongType_AreNull()
    {
        using var dedupEvent = TestJson.Event("{\"id\":7,\"detail-type\":null,\"source\":{},\"detail\":{\"topicName\":1}}");

        Assert.Null(dedupEvent.Id);
        Assert.Null(dedupEvent.DetailType);
        Assert.Null(dedupEvent.Source);
        Assert.Null(dedupEvent.TopicName);
    }

    [Theory]
    [InlineData("hello", "not valid JSON")]
    [InlineData("{\"a\":1", "not valid JSON")]
    [InlineData("{\"a\":", "not valid JSON")]
    [InlineData("{\"a\" 1}", "not valid JSON")]
    [InlineData("{'a':1}", "not valid JSON")]
    [InlineData("{\"a\":1,}", "not valid JSON")]
    [InlineData("{\"a\":1}{\"b\":2}", "not valid JSON")]
    [InlineData("{\"a\":1} x", "not valid JSON")]
    [InlineData("{\"a\":NaN}", "not valid JSON")]
    [InlineData("{\"a\":01}", "not valid JSON")]
    [InlineData("{\"a\":\"tab\tinside\"}", "not valid JSON")]
    [InlineData("{\"a\":\"\\x41\"}", "not valid JSON")]
    [InlineData("/* comment */ {}", "not valid JSON")]
    [InlineData("", "empty")]
    [InlineData("   ", "not valid JSON")]
    [InlineData(" \r\n\t ", "not valid JSON")]
    [InlineData("[]", "must be a JSON object, not array")]
    [InlineData("[{\"id\":\"a\"}]", "must be a JSON object, not array")]
    [InlineData("\"{}\"", "must be a JSON object, not string")]
    [InlineData("42", "must be a JSON object, not number")]
    [InlineData("-1.5e3", "must be a JSON object, not number")]
    [InlineData("null", "must be a JSON object, not null")]
    [InlineData("true", "must be a JSON object, not true")]
    [InlineData("false", "must be a JSON object, not false")]
    public void Parse_BadInput_ReturnsClearErrorWithoutThrowing(string input, string expectedError)
    {
        var result = EventParser.Parse(Encoding.UTF8.GetBytes(input));

        Assert.False(result.IsValid);
        Assert.Null(result.Event);
        Assert.Contains(expectedError, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllSamples))]
    public void Parse_TruncatedSample_ReturnsError(string sample)
    {
        var bytes = Samples.Bytes(sample);

        foreach (var length in new[] { 1, bytes.Length / 3, bytes.Length / 2, bytes.Length - 2 })
        {
            var result = EventParser.Parse(bytes.AsMemory(0, length));

            Assert.False(result.IsValid, $"{length} of {bytes.Length} bytes parsed");
            Assert.Contains("not valid JSON", result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_ErrorMessage_DoesNotEchoThePayload()
    {
        var result = EventParser.Parse(Encoding.UTF8.GetBytes("{\"password\":\"hunter2\" \"x\"}"));

        Assert.False(result.IsValid);
        Assert.DoesNotContain("hunter2", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OneMegabyteTranscription_IsAcceptedByDefault()
    {
        var bytes = EventBuilder.Transcription(1024 * 1024, new Random(1));

        var result = EventParser.Parse(bytes);

        Assert.True(result.IsValid, result.Error);
        Assert.Equal("v2.conversations.{id}.transcription", result.Event!.DetailType);
        result.Event.Dispose();
    }

    [Fact]
    public void Parse_ExactlyAtDefaultSizeLimit_IsAccepted()
    {
        var bytes = ObjectOfSize(EventLimits.DefaultMaxBytes);

        var result = EventParser.Parse(bytes);

        Assert.True(result.IsValid, result.Error);
        result.Event!.Dispose();
    }

    [Fact]
    public void Parse_OneByteOverDefaultSizeLimit_IsRejectedNamingTheLimit()
    {
        var bytes = ObjectOfSize(EventLimits.DefaultMaxBytes + 1);

        var result = EventParser.Parse(bytes);

        Assert.False(result.IsValid);
        Assert.Equal("event is 1572865 bytes; the limit is 1572864 (Dedup:MaxEventBytes)", result.Error);
    }

    [Fact]
    public void Parse_OverConfiguredSizeLimit_IsRejectedBeforeParsing()
    {
        // Over the limit is rejected even when the bytes are not JSON at all: the bound is checked first.
        var result = EventParser.Parse(new byte[101], new EventLimits(MaxBytes: 100));

        Assert.False(result.IsValid);
        Assert.Equal("event is 101 bytes; the limit is 100 (Dedup:MaxEventBytes)", result.Error);
    }

    [Fact]
    public void Parse_SampleUnderConfiguredSizeLimit_IsAccepted()
    {
        var bytes = Samples.Bytes(Samples.Tutorial);

        var result = EventParser.Parse(bytes, new EventLimits(MaxBytes: bytes.Length));

        Assert.True(result.IsValid, result.Error);
        result.Event!.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(63)]
    [InlineData(64)]
    public void Parse_ObjectsNestedUpToDepth64_AreAccepted(int depth)
    {
        var result = EventParser.Parse(Encoding.UTF8.GetBytes(NestedObjects(depth)));

        Assert.True(result.IsValid, result.Error);
        result.Event!.Dispose();
    }

    [Theory]
    [InlineData(65)]
    [InlineData(66)]
    [InlineData(1000)]
    public void Parse_ObjectsNestedDeeperThan64_AreRejected(int depth)
    {
        var result = EventParser.Parse(Encoding.UTF8.GetBytes(NestedObjects(depth)));

        Assert.False(result.IsValid);
        Assert.Contains("nesting is deeper than allowed", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ArraysInsideTheRootObject_CountTowardsTheDepth()
    {
        // The root object is level 1, so 63 arrays inside it reach 64 and 64 arrays reach 65.
        var accepted = "{\"a\":" + new string('[', 63) + new string(']', 63) + "}";
        var rejected = "{\"a\":" + new string('[', 64) + new string(']', 64) + "}";

        var ok = EventParser.Parse(Encoding.UTF8.GetBytes(accepted));
        var tooDeep = EventParser.Parse(Encoding.UTF8.GetBytes(rejected));

        Assert.True(ok.IsValid, ok.Error);
        ok.Event!.Dispose();
        Assert.False(tooDeep.IsValid);
        Assert.Contains("nesting is deeper than allowed", tooDeep.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ConfiguredDepth_IsHonoured()
    {
        var json = Encoding.UTF8.GetBytes(NestedObjects(3));

        Assert.False(EventParser.Parse(json, new EventLimits(MaxDepth: 2)).IsValid);
        var ok = EventParser.Parse(json, new EventLimits(MaxDepth: 3));
        Assert.True(ok.IsValid, ok.Error);
        ok.Event!.Dispose();
    }

    public static TheoryData<string, byte[]> InvalidUtf8 => new()
    {
        { "bare 0xFF in a string", Utf8WithRaw("{\"a\":\"x", [0xFF], "y\"}") },
        { "bare 0xFF outside strings", Utf8WithRaw("{\"a\":1}", [0xFF], "") },
        { "bare 0xFF between tokens", Utf8WithRaw("{", [0xFF], "\"a\":1}") },
        { "bare 0xFE in a property name", Utf8WithRaw("{\"", [0xFE], "\":1}") },
        { "lone continuation byte", Utf8WithRaw("{\"a\":\"", [0x80], "\"}") },
        { "overlong '/' (2 bytes) in a string", Utf8WithRaw("{\"a\":\"", [0xC0, 0xAF], "\"}") },
        { "overlong '/' (3 bytes) in a string", Utf8WithRaw("{\"a\":\"", [0xE0, 0x80, 0xAF], "\"}") },
        { "overlong '/' (4 bytes) in a string", Utf8WithRaw("{\"a\":\"", [0xF0, 0x80, 0x80, 0xAF], "\"}") },
        { "overlong NUL in a string", Utf8WithRaw("{\"a\":\"", [0xC0, 0x80], "\"}") },
        { "overlong '{' outside strings", Utf8WithRaw("", [0xC1, 0xBB], "}") },
        { "overlong '\"' as a string delimiter", Utf8WithRaw("{\"a\":", [0xC0, 0xA2], "x\"}") },
        { "UTF-8 encoded surrogate", Utf8WithRaw("{\"a\":\"", [0xED, 0xA0, 0x80], "\"}") },
        { "code point above U+10FFFF", Utf8WithRaw("{\"a\":\"", [0xF4, 0x90, 0x80, 0x80], "\"}") },
        { "truncated 3-byte sequence", Utf8WithRaw("{\"a\":\"", [0xE2, 0x82], "\"}") },
        { "truncated sequence at the end", Utf8WithRaw("{\"a\":1}", [0xE2], "") },
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public void Parse_InvalidUtf8_IsRejected(string why, byte[] input)
    {
        var result = EventParser.Parse(input);

        Assert.False(result.IsValid, why);
        Assert.Equal("event is not valid UTF-8", result.Error);
    }

    [Fact]
    public void Parse_ValidMultiByteUtf8_IsAccepted()
    {
        using var dedupEvent = TestJson.Event("{\"name\":\"Zoë 😀 €\",\"ключ\":\"值\"}");

        Assert.Equal("Zoë 😀 €", dedupEvent.Root.GetProperty("name").GetString());
        Assert.Equal("值", dedupEvent.Root.GetProperty("ключ").GetString());
    }

    [Fact]
    public void Parse_LeadingByteOrderMark_IsAcceptedAndStripped()
    {
        var sample = Samples.Bytes(Samples.Audit);
        byte[] withBom = [0xEF, 0xBB, 0xBF, .. sample];

        var result = EventParser.Parse(withBom);

        Assert.True(result.IsValid, result.Error);
        using var dedupEvent = result.Event!;
        Assert.Equal(sample, dedupEvent.Utf8Json.ToArray());
        Assert.Equal(AuditTopic, dedupEvent.TopicName);
        Assert.Equal(TestJson.Fingerprint(sample), TestJson.Fingerprint(dedupEvent));
    }

    [Fact]
    public void Parse_ByteOrderMarkOnly_IsEmpty()
    {
        var result = EventParser.Parse(new byte[] { 0xEF, 0xBB, 0xBF });

        Assert.False(result.IsValid);
        Assert.Equal("event is empty", result.Error);
    }

    [Fact]
    public void Parse_ByteOrderMarkNotAtTheStart_IsRejected()
    {
        var result = EventParser.Parse(Utf8WithRaw("{\"a\":1}", [0xEF, 0xBB, 0xBF], ""));

        Assert.False(result.IsValid);
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}")]
    [InlineData("{\"a\":1,\"a\":1}")]
    [InlineData("{\"detail\":{\"event_id\":\"x\",\"event_id\":\"y\"}}")]
    [InlineData("{\"list\":[{\"k\":1,\"k\":2}]}")]
    [InlineData("{\"a\":1,\"\\u0061\":2}")]
    public void Parse_DuplicatePropertyNames_AreRejected(string json)
    {
        var result = EventParser.Parse(Encoding.UTF8.GetBytes(json));

        Assert.False(result.IsValid);
        Assert.Contains("not valid JSON", result.Error, StringComparison.Ordinal);
        Assert.Contains("duplicate", result.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Parse_SameNameInDifferentObjects_IsNotADuplicate()
    {
        using var dedupEvent = TestJson.Event("{\"id\":\"a\",\"detail\":{\"id\":\"b\",\"x\":{\"id\":\"c\"}}}");

        Assert.Equal("a", dedupEvent.Id);
    }

    [Theory]
    [InlineData("{\"a\":\"\\ud800\"}")]
    [InlineData("{\"a\":\"\\udc00\"}")]
    [InlineData("{\"a\":\"x\\ud83dy\"}")]
    [InlineData("{\"a\":\"\\ude00\\ud83d\"}")]
    [InlineData("{\"a\":\"\\uD83D\\u0041\"}")]
    [InlineData("{\"a\":\"\\n\\uDBFF\"}")]
    [InlineData("{\"\\ud800\":1}")]
    [InlineData("{\"id\":\"\\ud800\"}")]
    [InlineData("{\"source\":\"\\udfff\"}")]
    [InlineData("{\"detail\":{\"topicName\":\"\\ud800\",\"eventBody\":{}}}")]
    [InlineData("{\"detail\":{\"event_id\":\"\\ud800\"}}")]
    public void Parse_LoneSurrogateEscape_IsRejectedWithoutThrowing(string json)
    {
        var result = EventParser.Parse(Encoding.UTF8.GetBytes(json));

        Assert.False(result.IsValid);
        Assert.Contains("surrogate", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\":\"\\\\ud800\"}", "\\ud800")]
    [InlineData("{\"a\":\"\\\\\\\\ud800\"}", "\\\\ud800")]
    [InlineData("{\"a\":\"\\\"\\ud83d\\ude00\"}", "\"😀")]
    [InlineData("{\"a\":\"\\uD83D\\uDE00\\u00e9\\uFB33\"}", "😀é\ufb33")]
    public void Parse_EscapesThatAreNotLoneSurrogates_AreAccepted(string json, string expected)
    {
        using var dedupEvent = TestJson.Event(json);

        Assert.Equal(expected, dedupEvent.Root.GetProperty("a").GetString());
    }

    [Fact]
    public void Parse_PairedSurrogateEscape_IsAccepted()
    {
        using var dedupEvent = TestJson.Event("{\"id\":\"\\ud83d\\ude00\"}");

        Assert.Equal("😀", dedupEvent.Id);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1" + "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000")]
    public void Parse_NumberBeyondDoubleRange_ParsesButCannotBeFingerprinted(string number)
    {
        var json = "{\"detail\":{\"topicName\":\"t\",\"eventBody\":{\"n\":" + number + "}}}";

        var result = EventParser.Parse(Encoding.UTF8.GetBytes(json));

        Assert.True(result.IsValid, result.Error);
        using var dedupEvent = result.Event!;
        Assert.False(EventFingerprint.TryCompute(dedupEvent, out var fingerprint, out var error));
        Assert.Null(fingerprint);
        Assert.Contains("IEEE 754", error, StringComparison.Ordinal);
    }

    private static byte[] ObjectOfSize(int size)
    {
        const string Prefix = "{\"pad\":\"";
        const string Suffix = "\"}";
        var bytes = Encoding.UTF8.GetBytes(Prefix + new string('x', size - Prefix.Length - Suffix.Length) + Suffix);
        Assert.Equal(size, bytes.Length);
        return bytes;
    }

    private static string NestedObjects(int depth)
    {
        var builder = new StringBuilder();
        for (var i = 1; i < depth; i++)
        {
            builder.Append("{\"a\":");
        }

        builder.Append("{}");
        builder.Append('}', depth - 1);
        return builder.ToString();
    }

    private static byte[] Utf8WithRaw(string before, byte[] raw, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. raw, .. Encoding.UTF8.GetBytes(after)];
}
