using System.Text.Json.Nodes;
using GenesysDedup.Domain;
using GenesysDedup.Testing;

namespace GenesysDedup.Domain.Tests;

public sealed class KeyResolverTests
{
    public static TheoryData<string> GenesysSamples => [.. Samples.GenesysNames];

    [Fact]
    public void FromNames_NullEmptyOrBlank_UsesTheDefaultOrder()
    {
        foreach (var names in new IEnumerable<string>?[] { null, [], ["", "  "] })
        {
            var resolver = KeyResolver.FromNames(names);

            Assert.Equal(["detail.event_id", "fingerprint"], resolver.Sources.Select(s => s.Name));
        }
    }

    [Fact]
    public void FromNames_EventBodyFingerprint_IsTheEventBodySourceNotAPath()
    {
        var resolver = KeyResolver.FromNames([" eventbody-fingerprint ", "fingerprint"]);

        Assert.Equal("eventbody-fingerprint", resolver.Sources[0].Name);
    }

    [Fact]
    public void Resolve_ConversationSummaryPairWithDefaults_TwoKeys()
    {
        using var callA = TestJson.Event(Samples.Bytes(Samples.ConversationSummaryCallA));
        using var callB = TestJson.Event(Samples.Bytes(Samples.ConversationSummaryCallB));
        var resolver = KeyResolver.FromNames(null);

        var a = resolver.Resolve(callA).Key!.Value;
        var b = resolver.Resolve(callB).Key!.Value;

        Assert.Equal("fingerprint", a.Source);
        Assert.NotEqual(a.Value, b.Value);
    }

    [Fact]
    public void Resolve_ConversationSummaryPairWithEventBodyFingerprint_OneKeyThatIsItsOwnFingerprint()
    {
        // The opt-in merges the pair, and as a duplicate, not a conflict: the key carries itself as the fingerprint.
        using var callA = TestJson.Event(Samples.Bytes(Samples.ConversationSummaryCallA));
        using var callB = TestJson.Event(Samples.Bytes(Samples.ConversationSummaryCallB));
        var resolver = KeyResolver.FromNames(["eventbody-fingerprint", "fingerprint"]);

        var a = resolver.Resolve(callA).Key!.Value;
        var b = resolver.Resolve(callB).Key!.Value;

        Assert.Equal(a, b);
        Assert.Equal("eventbody-fingerprint", a.Source);
        Assert.Equal(a.Value, a.Fingerprint);
        Assert.Matches("^sha256:[0-9a-f]{64}$", a.Value);
        Assert.NotEqual(TestJson.Fingerprint(callA), a.Value);
    }

    [Theory]
    [InlineData("{\"detail\":{\"event_id\":\"e1\",\"data\":{}}}", "detail.event_id")]
    [InlineData("{\"detail\":{\"topicName\":\"t\",\"event_id\":\"e1\"}}", "detail.event_id")]
    [InlineData("{\"detail\":{\"eventBody\":{\"a\":1}},\"id\":\"e1\"}", "eventbridge-id")]
    [InlineData("{\"detail\":[1],\"id\":\"e1\"}", "eventbridge-id")]
    [InlineData("{\"id\":\"e1\"}", "eventbridge-id")]
    public void Resolve_EventBodyFingerprintWithoutTopicNameAndEventBody_NextSourceWins(string json, string expectedSource)
    {
        using var dedupEvent = TestJson.Event(json);

        var key = KeyResolver.FromNames(["eventbody-fingerprint", "detail.event_id", "eventbridge-id"]).Resolve(dedupEvent).Key!.Value;

        Assert.Equal(expectedSource, key.Source);
        Assert.Equal("e1", key.Value);
    }

    [Fact]
    public void FromNames_KeepsTheConfiguredOrderAndTrimsNames()
    {
        var resolver = KeyResolver.FromNames([" fingerprint ", "eventbridge-id", "detail.a + detail.b"]);

        Assert.Equal(["fingerprint", "eventbridge-id", "detail.a + detail.b"], resolver.Sources.Select(s => s.Name));
    }

    [Theory]
    [MemberData(nameof(GenesysSamples))]
    public void Resolve_GenesysEventWithDefaults_KeyIsTheFingerprint(string sample)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(sample));

        var resolution = KeyResolver.FromNames(null).Resolve(dedupEvent);

        Assert.Null(resolution.Error);
        var key = Assert.NotNull(resolution.Key);
        Assert.Equal("fingerprint", key.Source);
        Assert.Equal(TestJson.Fingerprint(dedupEvent), key.Value);
        Assert.Equal(key.Value, key.Fingerprint);
    }

    [Theory]
    [MemberData(nameof(GenesysSamples))]
    public void Resolve_GenesysRepublishWithDefaults_SameKey(string sample)
    {
        var original = Samples.Bytes(sample);
        var republished = TestJson.Republish(original, "new-id", "2026-11-24T09:00:00Z", RepublishStyle.IndentedWithTabs);
        using var first = TestJson.Event(original);
        using var second = TestJson.Event(republished);
        var resolver = KeyResolver.FromNames(null);

        Assert.Equal(resolver.Resolve(first).Key, resolver.Resolve(second).Key);
    }

    [Fact]
    public void Resolve_TutorialEventWithDefaults_KeyedByEventIdWithFingerprintStored()
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(Samples.Tutorial));

        var resolution = KeyResolver.FromNames(null).Resolve(dedupEvent);

        Assert.Null(resolution.Error);
        var key = Assert.NotNull(resolution.Key);
        Assert.Equal("evt-0001", key.Value);
        Assert.Equal("detail.event_id", key.Source);
        Assert.Equal("sha256:f788145c6f3e3c3933f1dac2eb4f1c3acde64adafce43e4a7b916168d23c3105", key.Fingerprint);
        Assert.Equal(TestJson.Fingerprint(dedupEvent), key.Fingerprint);
    }

    [Fact]
    public void Resolve_TutorialEventIdReusedForOtherData_SameKeyDifferentFingerprint()
    {
        // What the store reports as a conflict: one key, two different events.
        var node = JsonNode.Parse(Samples.Bytes(Samples.Tutorial))!;
        node["detail"]!["data"]!["tier"] = "silver";
        using var original = TestJson.Event(Samples.Bytes(Samples.Tutorial));
        using var changed = TestJson.Event(node.ToJsonString());
        var resolver = KeyResolver.FromNames(null);

        var a = resolver.Resolve(original).Key!.Value;
        var b = resolver.Resolve(changed).Key!.Value;

        Assert.Equal(a.Value, b.Value);
        Assert.NotEqual(a.Fingerprint, b.Fingerprint);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("{\"id\":\"x\"}")]
    [InlineData("[\"x\"]")]
    public void Resolve_EventIdEmptyOrNotAString_FallsThroughToFingerprint(string eventId)
    {
        using var dedupEvent = TestJson.Event("{\"id\":\"e1\",\"detail\":{\"event_id\":" + eventId + ",\"data\":{\"a\":1}}}");

        var key = KeyResolver.FromNames(null).Resolve(dedupEvent).Key!.Value;

        Assert.Equal("fingerprint", key.Source);
        Assert.StartsWith("sha256:", key.Value, StringComparison.Ordinal);
        Assert.Equal(key.Value, key.Fingerprint);
    }

    [Fact]
    public void Resolve_EventIdMissing_FallsThroughToFingerprint()
    {
        using var dedupEvent = TestJson.Event("{\"detail\":{\"data\":{\"a\":1}}}");

        Assert.Equal("fingerprint", KeyResolver.FromNames(null).Resolve(dedupEvent).Key!.Value.Source);
    }

    [Theory]
    [InlineData(Samples.Audit, "detail.metadata.CorrelationId", "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f")]
    [InlineData(Samples.Audit, "detail.eventBody.id", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")]
    [InlineData(Samples.Audit, "eventbridge-id", "6c8d7a4e-3b1f-4d2a-9f51-0a2b3c4d5e6f")]
    [InlineData(Samples.Audit, "id", "6c8d7a4e-3b1f-4d2a-9f51-0a2b3c4d5e6f")]
    [InlineData(Samples.Audit, "detail.eventBody.remoteIp.0", "203.0.113.10")]
    [InlineData(Samples.Audit, "detail.eventBody.propertyChanges.0.newValues.0", "Senior Agent")]
    [InlineData(Samples.Audit, "detail.eventBody.userId+detail.eventBody.entity.id",
        "0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a|8f2d1c3b-5a6e-4b7c-9d8e-0f1a2b3c4d5e")]
    [InlineData(Samples.UserActivity, "detail.eventBody.id + detail.eventBody.routingStatus.startTime",
        "8f2d1c3b-5a6e-4b7c-9d8e-0f1a2b3c4d5e|2026-11-20T14:07:14.201Z")]
    [InlineData(Samples.UserActivity, "detail.eventBody.activeQueueIds.0", "4a5b6c7d-8e9f-4a0b-1c2d-3e4f5a6b7c8d")]
    [InlineData(Samples.ConversationDetail, "detail.eventBody.eventTime", "1763647541873")]
    [InlineData(Samples.ConversationDetail, "detail.eventBody.conversationId+detail.eventBody.eventTime",
        "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a|1763647541873")]
    [InlineData(Samples.ConversationDetail, "detail.eventBody.callbackScheduledTime", "0")]
    [InlineData(Samples.Transcription, "detail.eventBody.transcripts.0.alternatives.0.confidence", "0.914")]
    [InlineData(Samples.Transcription, "detail.eventBody.transcripts.0.alternatives.0.words.1.word", "like")]
    [InlineData(Samples.Tutorial, "detail.data.customerId", "C-1042")]
    public void Resolve_CustomPathSource_YieldsTheValueWithFingerprintStored(string sample, string source, string expected)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(sample));

        var resolution = KeyResolver.FromNames([source]).Resolve(dedupEvent);

        Assert.Null(resolution.Error);
        var key = Assert.NotNull(resolution.Key);
        Assert.Equal(expected, key.Value);
        Assert.Equal(source, key.Source);
        Assert.Equal(TestJson.Fingerprint(dedupEvent), key.Fingerprint);
    }

    [Theory]
    [InlineData("detail.eventBody.nope")]
    [InlineData("detail.eventBody.remoteIp.1")]
    [InlineData("detail.eventBody.remoteIp.-1")]
    [InlineData("detail.eventBody.remoteIp.x")]
    [InlineData("detail.eventBody.username")]
    [InlineData("detail.eventBody.remoteIp")]
    [InlineData("detail.eventBody.propertyChanges")]
    [InlineData("detail.eventBody.context")]
    [InlineData("detail.eventBody.id.deeper")]
    [InlineData("resources.0")]
    [InlineData("Detail.eventBody.id")]
    [InlineData("detail.eventBody.id+detail.eventBody.nope")]
    [InlineData("detail.eventBody.nope+detail.eventBody.id")]
    public void Resolve_PathWithoutAStringOrNumber_YieldsNothingSoTheNextSourceWins(string source)
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(Samples.Audit));

        var key = KeyResolver.FromNames([source, "fingerprint"]).Resolve(dedupEvent).Key!.Value;

        Assert.Equal("fingerprint", key.Source);
    }

    [Fact]
    public void Resolve_PropertyNamedLikeAnIndex_IsFoundInAnObject()
    {
        using var dedupEvent = TestJson.Event("{\"detail\":{\"0\":\"zero\"},\"resources\":[\"arn:aws:events:r\"]}");

        Assert.Equal("zero", KeyResolver.FromNames(["detail.0"]).Resolve(dedupEvent).Key!.Value.Value);
        Assert.Equal("arn:aws:events:r", KeyResolver.FromNames(["resources.0"]).Resolve(dedupEvent).Key!.Value.Value);
    }

    [Fact]
    public void Resolve_EscapedAndUnicodeValues_AreDecoded()
    {
        using var dedupEvent = TestJson.Event("{\"detail\":{\"event_id\":\"a\\/b\\u00e9\\ud83d\\ude00\"}}");

        Assert.Equal("a/b\u00e9\U0001F600", KeyResolver.FromNames(null).Resolve(dedupEvent).Key!.Value.Value);
    }

    [Fact]
    public void Resolve_FirstYieldingSourceWins()
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(Samples.Audit));

        var key = KeyResolver.FromNames(["detail.event_id", "detail.metadata.CorrelationId", "eventbridge-id", "fingerprint"])
            .Resolve(dedupEvent).Key!.Value;

        Assert.Equal("detail.metadata.CorrelationId", key.Source);
        Assert.Equal("f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f", key.Value);
    }

    [Fact]
    public void Resolve_FingerprintFirst_WinsOverEventId()
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(Samples.Tutorial));

        var key = KeyResolver.FromNames(["fingerprint", "detail.event_id"]).Resolve(dedupEvent).Key!.Value;

        Assert.Equal("fingerprint", key.Source);
        Assert.Equal(key.Fingerprint, key.Value);
    }

    [Fact]
    public void Resolve_EventBridgeId_ChangesOnRepublish()
    {
        // Why eventbridge-id is not the default: a Genesys re-publish gets a new envelope id.
        var original = Samples.Bytes(Samples.Audit);
        var republished = TestJson.Republish(original, "republished-id", "2026-11-24T09:00:00Z", RepublishStyle.IndentedWithSpaces);
        using var first = TestJson.Event(original);
        using var second = TestJson.Event(republished);
        var resolver = KeyResolver.FromNames(["eventbridge-id"]);

        var a = resolver.Resolve(first).Key!.Value;
        var b = resolver.Resolve(second).Key!.Value;

        Assert.Equal("republished-id", b.Value);
        Assert.NotEqual(a.Value, b.Value);
        Assert.Equal(a.Fingerprint, b.Fingerprint);
    }

    [Fact]
    public void Resolve_NoSourceYields_ReturnsErrorNamingTheSources()
    {
        using var dedupEvent = TestJson.Event(Samples.Bytes(Samples.Audit));

        var resolution = KeyResolver.FromNames(["detail.event_id", "detail.nope+id"]).Resolve(dedupEvent);

        Assert.Null(resolution.Key);
        Assert.Equal("no key source yielded a key (tried detail.event_id, detail.nope+id)", resolution.Error);
    }

    [Fact]
    public void Resolve_EventBridgeIdOnEventWithoutId_ReturnsError()
    {
        using var dedupEvent = TestJson.Event("{\"detail\":{}}");

        var resolution = KeyResolver.FromNames(["eventbridge-id"]).Resolve(dedupEvent);

        Assert.Null(resolution.Key);
        Assert.Contains("no key source yielded a key", resolution.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fingerprint", "cannot fingerprint the event")]
    [InlineData("eventbody-fingerprint", "cannot fingerprint the event body")]
    public void Resolve_FingerprintFails_ReturnsErrorInsteadOfTryingTheNextSource(string source, string reason)
    {
        using var dedupEvent = TestJson.Event("{\"id\":\"e1\",\"detail\":{\"topicName\":\"t\",\"eventBody\":{\"n\":1e400}}}");

        var resolution = KeyResolver.FromNames([source, "eventbridge-id"]).Resolve(dedupEvent);

        Assert.Null(resolution.Key);
        Assert.Equal(
            reason + ": number is outside the IEEE 754 double range, which JCS cannot represent",
            resolution.Error);
    }

    [Fact]
    public void Resolve_PathKeyOnEventThatCannotBeFingerprinted_ReturnsError()
    {
        // A path key is stored with the fingerprint (for conflict detection), so it needs one too.
        using var dedupEvent = TestJson.Event("{\"detail\":{\"event_id\":\"e1\",\"data\":{\"n\":1e400}}}");

        var resolution = KeyResolver.FromNames(null).Resolve(dedupEvent);

        Assert.Null(resolution.Key);
        Assert.StartsWith("cannot fingerprint the event:", resolution.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("detail..event_id")]
    [InlineData(".detail")]
    [InlineData("detail.")]
    [InlineData("detail. .x")]
    [InlineData("a+")]
    [InlineData("+a")]
    [InlineData("a++b")]
    [InlineData("a+ +b")]
    [InlineData("+")]
    [InlineData(".")]
    public void FromNames_BadSourceText_ThrowsArgumentExceptionNamingIt(string source)
    {
        var ex = Assert.Throws<ArgumentException>(() => KeyResolver.FromNames(["fingerprint", source]));

        Assert.Contains($"'{source}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_PathKeyLongerThanTheBound_IsReplacedByItsStableHash()
    {
        var resolver = KeyResolver.FromNames(["detail.event_id"]);
        var longId = new string('k', KeyResolver.MaxKeyLength + 1);
        var boundId = new string('k', KeyResolver.MaxKeyLength);
        using var longEvent = TestJson.Event("{\"detail\":{\"event_id\":\"" + longId + "\"}}");
        using var sameAgain = TestJson.Event("{\"id\":\"other\",\"detail\":{\"event_id\":\"" + longId + "\"}}");
        using var boundEvent = TestJson.Event("{\"detail\":{\"event_id\":\"" + boundId + "\"}}");

        var key = resolver.Resolve(longEvent).Key!.Value.Value;

        Assert.Matches("^sha256:[0-9a-f]{64}$", key);
        Assert.Equal(key, resolver.Resolve(sameAgain).Key!.Value.Value);
        Assert.Equal(boundId, resolver.Resolve(boundEvent).Key!.Value.Value);
    }
}
