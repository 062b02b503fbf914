using System.Net;
using System.Net.Http.Headers;
using GenesysDedup.Domain;
using GenesysDedup.Testing;

namespace GenesysDedup.Handlers.Http.Tests;

/// <summary>
/// The <c>http</c> handler (docs/behaviour.md#handlers) through the real engine against a real downstream: a unique event is POSTed once,
/// byte for byte, with its key in <c>Idempotency-Key</c>; anything but a 2xx, a timeout or a connection error is
/// <c>failed</c>, the claim is released and the retry is forwarded again.
/// </summary>
public sealed class HttpForwardingHandlerTests
{
    [Fact]
    public async Task Send_UniqueEvent_PostsTheOriginalBytesOnceWithJsonContentTypeAndIdempotencyKey()
    {
        await using var downstream = await CountingDownstream.StartAsync();
        await using var engine = ForwardingEngine.Create(downstream.Url);
        engine.ValidateOnStart();
        // Indented, keys reversed: bytes a re-serialisation would not reproduce.
        var body = EventBuilder.Republish(EventBuilder.UniqueGenesysEvent());

        var result = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.Processed, result.Outcome);
        var delivery = Assert.Single(downstream.Deliveries);
        Assert.Equal(result.Key, delivery.Key);
        Assert.Equal("POST", delivery.Method);
        Assert.StartsWith("sha256:", delivery.Key);
        Assert.Equal(body, delivery.Body);
        var contentType = MediaTypeHeaderValue.Parse(delivery.ContentType!);
        Assert.Equal("application/json", contentType.MediaType);
        Assert.True(contentType.CharSet is null or "utf-8", $"unexpected charset in {delivery.ContentType}");
        Assert.Equal("/", delivery.Path);
    }

    [Fact]
    public async Task Send_UrlWithPath_PostsToThatPath()
    {
        await using var downstream = await CountingDownstream.StartAsync();
        await using var engine = ForwardingEngine.Create(new Uri(downstream.Url, "hooks/genesys"));

        var result = await engine.SendAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(DedupOutcome.Processed, result.Outcome);
        Assert.Equal("/hooks/genesys", Assert.Single(downstream.Deliveries).Path);
    }

    [Fact]
    public async Task Send_Republish_IsDuplicateAndNotForwardedAgain()
    {
        await using var downstream = await CountingDownstream.StartAsync();
        await using var engine = ForwardingEngine.Create(downstream.Url);
        var body = EventBuilder.UniqueGenesysEvent();
        var first = await engine.SendAsync(body);

        var again = await engine.SendAsync(EventBuilder.Republish(body));

        Assert.Equal(DedupOutcome.Processed, first.Outcome);
        Assert.Equal(DedupOutcome.Duplicate, again.Outcome);
        Assert.Equal(first.Key, again.Key);
        Assert.Single(downstream.Deliveries);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.NotFound)]
    public async Task Send_DownstreamAnswersNon2xx_IsFailedAndTheRetryIsForwardedAgainAndProcessed(HttpStatusCode status)
    {
        await using var downstream = await CountingDownstream.StartAsync();
        await using var engine = ForwardingEngine.Create(downstream.Url);
        var key = NewTutorialKey();
        var body = EventBuilder.Tutorial(key);
        downstream.AnswerNext(key, status);

        var failed = await engine.SendAsync(body);
        var retried = await engine.SendAsync(body);
        var afterwards = await engine.SendAsync(body);

        Assert.Equal(key, failed.Key);
        Assert.Equal(DedupOutcome.Failed, failed.Outcome);
        Assert.Contains(nameof(DownstreamRejectedException), failed.Detail);
        Assert.Equal(DedupOutcome.Processed, retried.Outcome);
        Assert.Equal(DedupOutcome.Duplicate, afterwards.Outcome);
        Assert.Equal([status, HttpStatusCode.OK], downstream.DeliveriesOf(key).Select(d => d.Status));
        Assert.All(downstream.DeliveriesOf(key), d => Assert.Equal(body, d.Body));
    }

    [Theory]
    [InlineData(HttpStatusCode.Accepted)]
    [InlineData(HttpStatusCode.NoContent)]
    public async Task Send_DownstreamAnswersAnother2xx_IsProcessed(HttpStatusCode status)
    {
        await using var downstream = await CountingDownstream.StartAsync();
        await using var engine = ForwardingEngine.Create(downstream.Url);
        var key = NewTutorialKey();
        downstream.AnswerNext(key, status);

        var result = await engine.SendAsync(EventBuilder.Tutorial(key));

        Assert.Equal(DedupOutcome.Processed, result.Outcome);
        Assert.Equal(status, Assert.Single(downstream.DeliveriesOf(key)).Status);
    }

    [Theory]
    [InlineData(HttpStatusCode.MovedPermanently)]
    [InlineData(HttpStatusCode.Found)]
    [InlineData(HttpStatusCode.SeeOther)]
    [InlineData(HttpStatusCode.TemporaryRedirect)]
    [InlineData(HttpStatusCode.PermanentRedirect)]
    public async Task Send_DownstreamRedirects_IsFailedAndTheRedirectIsNotFollowed(HttpStatusCode status)
    {
        await using var downstream = await CountingDownstream.StartAsync();
        await using var engine = ForwardingEngine.Create(downstream.Url);
        var key = NewTutorialKey();
        // Followed, a 301/302/303 turns into a GET without the event that the target may well answer 200:
        // the event would be acknowledged, marked processed and never delivered.
        downstream.AnswerNext(key, status, location: "/moved");

        var result = await engine.SendAsync(EventBuilder.Tutorial(key));

        Assert.Equal(DedupOutcome.Failed, result.Outcome);
        Assert.Equal("/", Assert.Single(downstream.DeliveriesOf(key)).Path);
    }

    [Fact]
    public async Task Send_DownstreamDoesNotAnswerWithinTimeout_IsFailedAndTheRetryIsProcessed()
    {
        await using var downstream = await CountingDownstream.StartAsync();
        await using var engine = ForwardingEngine.Create(downstream.Url, new Dictionary<string, string?>
        {
            // Long enough for the retry below to finish within it on a loaded 2-core machine: at 0.5 s it once
            // timed out too while builds ran beside the tests.
            ["Handler:Http:Timeout"] = "00:00:02",
        });
        var key = NewTutorialKey();
        var body = EventBuilder.Tutorial(key);
        var held = downstream.HoldNext(key);
        // A backstop, not a timing assertion: should the 2 s timeout not apply (HttpClient's own default is
        // 100 s), the downstream answers 200 long before that and the outcome below is processed, not failed.
        using var backstop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var releaseOnBackstop = backstop.Token.Register(held.Release);
        try
        {
            var timedOut = await engine.SendAsync(body);

            // The delivery reached the downstream and was still held: only the handler's timeout could end it.
            Assert.True(held.Arrived.IsCompletedSuccessfully, "the held delivery never reached the downstream");
            Assert.Equal(DedupOutcome.Failed, timedOut.Outcome);
        }
        finally
        {
            held.Release();
        }

        var retried = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.Processed, retried.Outcome);
        Assert.Equal(2, downstream.DeliveriesOf(key).Count);
    }

    [Theory]
    [InlineData("order/42")]
    [InlineData("100%-done")]
    [InlineData("%41 is not A")]
    [InlineData(" leading and trailing spaces ")]
    [InlineData("tab\there")]
    [InlineData("Bestellung-Größe-€-日本-😀")]
    public async Task Send_KeyThatIsNotHeaderSafe_IsForwardedPercentEscapedAndDecodesToTheKey(string eventId)
    {
        await using var downstream = await CountingDownstream.StartAsync();
        await using var engine = ForwardingEngine.Create(downstream.Url);
        var body = EventBuilder.Tutorial(eventId);

        var result = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.Processed, result.Outcome);
        Assert.Equal(eventId, result.Key);
        var sent = Assert.Single(downstream.Deliveries).Key!;
        Assert.True(sent.All(c => c is > ' ' and <= '~'), $"'{sent}' is not a visible-ASCII header value");
        Assert.Equal(eventId, Uri.UnescapeDataString(sent));
        Assert.Equal(body, downstream.Deliveries[0].Body);
    }

    [Theory]
    [InlineData("evt-plain_ASCII.key:1")]
    [InlineData("sha256:0f1e2d3c")]
    [InlineData("a|b\\c")]
    public async Task Send_HeaderSafeKey_IsForwardedUnchanged(string eventId)
    {
        await using var downstream = await CountingDownstream.StartAsync();
        await using var engine = ForwardingEngine.Create(downstream.Url);

        var result = await engine.SendAsync(EventBuilder.Tutorial(eventId));

        Assert.Equal(DedupOutcome.Processed, result.Outcome);
        Assert.Equal(eventId, Assert.Single(downstream.Deliveries).Key);
    }

    [Fact]
    public async Task Send_DownstreamRefusesConnection_IsFailedAndTheClaimIsReleased()
    {
        Uri closed;
        await using (var gone = await CountingDownstream.StartAsync())
        {
            closed = gone.Url;
        }

        await using var engine = ForwardingEngine.Create(closed);
        var body = EventBuilder.Tutorial(NewTutorialKey());

        var first = await engine.SendAsync(body);
        var retried = await engine.SendAsync(body);

        Assert.Equal(DedupOutcome.Failed, first.Outcome);
        Assert.Contains(nameof(HttpRequestException), first.Detail);
        // Released, not left in progress: the retry claims it again and fails the same way.
        Assert.Equal(DedupOutcome.Failed, retried.Outcome);
    }

    [Theory]
    [InlineData(null, null, "Handler:Http:Url")]
    [InlineData("events/inbound", null, "Handler:Http:Url")]
    [InlineData("/events", null, "Handler:Http:Url")]
    [InlineData("ftp://127.0.0.1/events", null, "Handler:Http:Url")]
    [InlineData("http://127.0.0.1:8080/", "00:00:00", "Handler:Http:Timeout")]
    [InlineData("http://127.0.0.1:8080/", "-00:00:01", "Handler:Http:Timeout")]
    [InlineData("http://127.0.0.1:8080/", "soon", "Handler:Http:Timeout")]
    public async Task ValidateOnStart_InvalidOptions_FailsNamingTheKey(string? url, string? timeout, string named)
    {
        var settings = new Dictionary<string, string?>();
        if (url is not null)
        {
            settings["Handler:Http:Url"] = url;
        }

        if (timeout is not null)
        {
            settings["Handler:Http:Timeout"] = timeout;
        }

        await using var engine = ForwardingEngine.Create(settings);

        var error = Assert.ThrowsAny<Exception>(engine.ValidateOnStart);

        Assert.Contains(named, AllMessages(error));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/", null)]
    [InlineData("https://downstream.example/hooks/genesys", "00:00:10")]
    public async Task ValidateOnStart_ValidOptions_Passes(string url, string? timeout)
    {
        await using var engine = ForwardingEngine.Create(new Dictionary<string, string?>
        {
            ["Handler:Http:Url"] = url,
            ["Handler:Http:Timeout"] = timeout,
        });

        var error = Record.Exception(engine.ValidateOnStart);

        Assert.Null(error);
    }

    private static string NewTutorialKey() => $"evt-{Guid.NewGuid():N}";

    private static string AllMessages(Exception error) => error is AggregateException aggregate
        ? string.Join(" | ", aggregate.InnerExceptions.Select(AllMessages))
        : error.Message + (error.InnerException is { } inner ? " | " + AllMessages(inner) : string.Empty);
}
