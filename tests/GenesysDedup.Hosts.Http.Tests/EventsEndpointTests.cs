using System.Net;
using System.Text;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>One test per row of the status table (docs/behaviour.md#http-status-table), through the real host on its default store (sqlite, a file of the test's own).</summary>
public sealed class EventsEndpointTests : IDisposable
{
    private readonly DedupHostFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Post_NewEvent_Is200Processed()
    {
        var client = _factory.CreateClient();

        var response = await client.PostEventAsync(Samples.Bytes(Samples.Audit));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.JsonAsync();
        Assert.Equal("processed", body.GetProperty("outcome").GetString());
        Assert.StartsWith("sha256:", body.GetProperty("key").GetString());
        Assert.Equal("6c8d7a4e-3b1f-4d2a-9f51-0a2b3c4d5e6f", body.GetProperty("eventId").GetString());
        Assert.Equal(1, _factory.Handler.TotalRuns);
    }

    [Fact]
    public async Task Post_HandlerKeepsTheEvent_ItsBytesAreNotReusedByLaterRequests()
    {
        var client = _factory.CreateClient();
        _factory.Handler.KeepsEvents = true;
        // Events of one size, so later request bodies land in the pooled arrays the earlier ones were read into.
        var bodies = Enumerable.Range(0, 200).Select(i => EventBuilder.UniqueGenesysEvent($"kept-{i:D4}")).ToList();

        foreach (var body in bodies)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(body)).StatusCode);
        }

        var kept = _factory.Handler.Kept.ToList();
        Assert.Equal(bodies.Count, kept.Count);
        for (var i = 0; i < bodies.Count; i++)
        {
            Assert.Equal(bodies[i], kept[i].Utf8Json.ToArray());
            Assert.Equal($"kept-{i:D4}", kept[i].Root.GetProperty("detail").GetProperty("eventBody").GetProperty("id").GetString());
        }
    }

    [Fact]
    public async Task Post_Republish_Is200Duplicate()
    {
        var client = _factory.CreateClient();
        var original = Samples.Bytes(Samples.Transcription);
        var first = await (await client.PostEventAsync(original)).JsonAsync();

        var response = await client.PostEventAsync(EventBuilder.Republish(original));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("duplicate", body.GetProperty("outcome").GetString());
        Assert.Equal(first.GetProperty("key").GetString(), body.GetProperty("key").GetString());
        Assert.Equal(1, _factory.Handler.TotalRuns);
    }

    [Fact]
    public async Task Post_WhileInProgress_Is429WithRetryAfterAndProblem()
    {
        var client = _factory.CreateClient();
        var body = EventBuilder.UniqueGenesysEvent();
        _factory.Handler.CloseGate();
        var first = client.PostEventAsync(body);
        await _factory.Handler.WaitForArrivalAsync();

        var response = await client.PostEventAsync(body);
        _factory.Handler.OpenGate();

        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("in_progress", await response.OutcomeAsync());
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
    }

    [Fact]
    public async Task Post_HandlerFails_Is500ThenTheRetryIsProcessed()
    {
        var client = _factory.CreateClient();
        var body = EventBuilder.Tutorial("evt-http-fail");
        _factory.Handler.FailNext("evt-http-fail");

        var failed = await client.PostEventAsync(body);
        var retried = await client.PostEventAsync(body);

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        Assert.Equal("failed", await failed.OutcomeAsync());
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("processed", await retried.OutcomeAsync());
        Assert.Equal(2, _factory.Handler.RunsOf("evt-http-fail"));
    }

    [Fact]
    public async Task Post_StoreDown_Is503WithRetryAfterAndNothingRuns()
    {
        var client = _factory.CreateClient();
        _factory.Store.Down = true;

        var response = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("store_unavailable", await response.OutcomeAsync());
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
        Assert.Equal(0, _factory.Handler.TotalRuns);
    }

    [Fact]
    public async Task Post_SameEventIdOtherContent_Is422Conflict()
    {
        var client = _factory.CreateClient();
        await client.PostEventAsync(EventBuilder.Tutorial("evt-http-conflict", "gold"));

        var response = await client.PostEventAsync(EventBuilder.Tutorial("evt-http-conflict", "bronze"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("conflict", await response.OutcomeAsync());
    }

    [Theory]
    [InlineData("{\"detail\": ")]
    [InlineData("not json at all")]
    [InlineData("[{\"id\":\"1\"}]")]
    [InlineData("\"a string\"")]
    [InlineData("")]
    public async Task Post_BadJson_Is400Invalid(string body)
    {
        var client = _factory.CreateClient();

        var response = await client.PostEventAsync(Encoding.UTF8.GetBytes(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal("invalid", problem.GetProperty("outcome").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Equal(0, _factory.Handler.TotalRuns);
    }

    [Fact]
    public async Task Post_NestedDeeperThan64_Is400Invalid()
    {
        var client = _factory.CreateClient();
        var deep = "{\"detail\":" + new string('[', 70) + new string(']', 70) + "}";

        var response = await client.PostEventAsync(Encoding.UTF8.GetBytes(deep));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("depth", (await response.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Post_InvalidUtf8_Is400Invalid()
    {
        var client = _factory.CreateClient();

        var response = await client.PostEventAsync([(byte)'{', (byte)'"', (byte)'a', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}']);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid", await response.OutcomeAsync());
    }

    [Fact]
    public async Task Post_BodyOverLimit_Is413NamingTheKey()
    {
        var client = _factory.CreateClient();
        var padding = new string('x', 1_572_864);
        var body = Encoding.UTF8.GetBytes("{\"detail\":{\"pad\":\"" + padding + "\"}}");

        var response = await client.PostEventAsync(body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Dedup:MaxEventBytes (1572864 bytes)", (await response.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(0, _factory.Handler.TotalRuns);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_Is413()
    {
        var client = _factory.CreateClient();
        var body = Encoding.UTF8.GetBytes("{\"detail\":{\"pad\":\"" + new string('y', 1_600_000) + "\"}}");
        var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentType = HttpTestExtensions.EventBridgeContentType;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("Http:MaxBodyBytes")]
    [InlineData("Dedup:MaxEventBytes")] // Http:MaxBodyBytes unset follows it
    public async Task Post_BodyAtLimit_IsAccepted_AndOneByteOverIs413NamingTheKey(string key)
    {
        await using var small = new DedupHostFactory(new Dictionary<string, string?> { [key] = "2048" });
        var client = small.CreateClient();
        var prefix = "{\"detail\":{\"pad\":\"";
        var suffix = "\"}}";
        var atLimit = Encoding.UTF8.GetBytes(prefix + new string('z', 2048 - prefix.Length - suffix.Length) + suffix);
        var overLimit = Encoding.UTF8.GetBytes(prefix + new string('z', 2049 - prefix.Length - suffix.Length) + suffix);

        var over = await client.PostEventAsync(overLimit);

        Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(atLimit)).StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        Assert.Contains($"{key} (2048 bytes)", (await over.JsonAsync()).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/octet-stream")]
    [InlineData(null)]
    public async Task Post_AnyContentType_IsParsedAsJsonAndProcessed(string? contentType)
    {
        // An EventBridge connection may set its own Content-Type; a 415 would not be retried (dead-lettered).
        var client = _factory.CreateClient();

        var response = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent(), contentType);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("processed", await response.OutcomeAsync());
        Assert.Equal(1, _factory.Handler.TotalRuns);
    }

    [Fact]
    public async Task Post_NonUtf8CharsetLabel_BodyIsReadAsUtf8()
    {
        var client = _factory.CreateClient();
        var eventId = $"evt-straße-番号-{Guid.NewGuid():N}";

        var response = await client.PostEventAsync(EventBuilder.Tutorial(eventId), "application/json; charset=iso-8859-1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(eventId, (await response.JsonAsync()).GetProperty("key").GetString());
        Assert.Equal(1, _factory.Handler.RunsOf(eventId));
    }

    [Theory]
    [InlineData("text/plain", "hello")]
    [InlineData("application/x-www-form-urlencoded", "detail=1&id=2")]
    [InlineData(null, "<event/>")]
    public async Task Post_BodyNotJson_Is400InvalidWhateverTheContentType(string? contentType, string body)
    {
        var client = _factory.CreateClient();

        var response = await client.PostEventAsync(Encoding.UTF8.GetBytes(body), contentType);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalid", await response.OutcomeAsync());
        Assert.Contains("not valid JSON", (await response.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(0, _factory.Handler.TotalRuns);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/cloudevents+json")]
    public async Task Post_JsonContentTypes_AreAccepted(string contentType)
    {
        var client = _factory.CreateClient();

        var response = await client.PostEventAsync(EventBuilder.UniqueGenesysEvent(), contentType);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
