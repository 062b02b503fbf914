using System.Net;
using System.Text;

namespace GenesysDedup.Testing.Tests;

/// <summary>
/// The sender behaves as an EventBridge API destination (docs/behaviour.md#http-host): 401, 407, 409, 429 and 5xx are retried, a
/// <c>Retry-After</c> is honoured in place of the backoff, other 4xx are final, timeouts and refused connections are retried, and the time
/// and attempt bounds end an event as given up. Waits are scaled down, never asserted on.
/// </summary>
public sealed class EventBridgeSenderTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":"e-1","detail":{"event_id":"k-1"}}""");

    [Fact]
    public async Task SendOne_429WithRetryAfterThen200_WaitsTheRetryAfterNotTheBackoffAndIsAcknowledged()
    {
        await using var server = await new ScriptedServer()
            .Then(ScriptedServer.Answer.Status(HttpStatusCode.TooManyRequests, retryAfterSeconds: 1))
            .StartAsync();
        // The backoff alone (scaled: 18–36 s) would pass the 20 s bound and give up; Retry-After (scaled: 1 ms) does not.
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions
        {
            InitialBackoff = TimeSpan.FromHours(10),
            MaxBackoff = TimeSpan.FromHours(10),
            GiveUpAfter = TimeSpan.FromSeconds(20),
            DelayScale = 0.001,
        });

        var result = await sender.SendOneAsync(new OutboundEvent(Body, server.Url));

        Assert.Equal(SendOutcome.Acknowledged, result.Outcome);
        Assert.Equal(200, result.FinalStatus);
        Assert.Equal([429, 200], result.Attempts.Select(a => a.Status));
        Assert.Equal(TimeSpan.FromSeconds(1), result.Attempts[0].RetryAfter);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task SendOne_500Then200_RetriesWithBackoffAndIsAcknowledged()
    {
        await using var server = await new ScriptedServer()
            .Then(ScriptedServer.Answer.Status(HttpStatusCode.InternalServerError))
            .StartAsync();
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions { DelayScale = 0.001 });

        var result = await sender.SendOneAsync(new OutboundEvent(Body, server.Url));

        Assert.Equal(SendOutcome.Acknowledged, result.Outcome);
        Assert.Equal([500, 200], result.Attempts.Select(a => a.Status));
        Assert.False(result.GaveUp);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.ProxyAuthenticationRequired)]
    [InlineData(HttpStatusCode.Conflict)]
    public async Task SendOne_RetriedClientErrorThen200_RetriesAndIsAcknowledged(HttpStatusCode status)
    {
        await using var server = await new ScriptedServer()
            .Then(ScriptedServer.Answer.Status(status))
            .StartAsync();
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions { DelayScale = 0.001 });

        var result = await sender.SendOneAsync(new OutboundEvent(Body, server.Url));

        Assert.Equal(SendOutcome.Acknowledged, result.Outcome);
        Assert.Equal([(int)status, 200], result.Attempts.Select(a => a.Status));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.RequestEntityTooLarge)]
    [InlineData(HttpStatusCode.UnsupportedMediaType)]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    public async Task SendOne_OtherClientError_IsRejectedWithoutRetry(HttpStatusCode status)
    {
        await using var server = await new ScriptedServer()
            .Then(ScriptedServer.Answer.Status(status))
            .StartAsync();
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions { DelayScale = 0 });

        var result = await sender.SendOneAsync(new OutboundEvent(Body, server.Url));

        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.Equal((int)status, result.FinalStatus);
        Assert.Single(result.Attempts);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task SendOne_Always503_GivesUpOnceTheNextRetryWouldPassTheTimeBound()
    {
        await using var server = await new ScriptedServer { Otherwise = ScriptedServer.Answer.Status(HttpStatusCode.ServiceUnavailable, retryAfterSeconds: 1) }.StartAsync();
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions { GiveUpAfter = TimeSpan.Zero });

        var result = await sender.SendOneAsync(new OutboundEvent(Body, server.Url));

        Assert.Equal(SendOutcome.GaveUp, result.Outcome);
        Assert.True(result.GaveUp);
        Assert.Equal(503, result.FinalStatus);
        Assert.Single(result.Attempts);
    }

    [Fact]
    public async Task SendOne_Always503_GivesUpAfterMaxAttempts()
    {
        await using var server = await new ScriptedServer { Otherwise = ScriptedServer.Answer.Status(HttpStatusCode.BadGateway) }.StartAsync();
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions { MaxAttempts = 3, DelayScale = 0.001 });

        var result = await sender.SendOneAsync(new OutboundEvent(Body, server.Url));

        Assert.Equal(SendOutcome.GaveUp, result.Outcome);
        Assert.Equal([502, 502, 502], result.Attempts.Select(a => a.Status));
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task SendOne_FirstAttemptNeverAnswered_TimesOutAndRetries()
    {
        await using var server = await new ScriptedServer()
            .Then(ScriptedServer.Answer.Never())
            .StartAsync();
        // The held attempt times out whatever the timeout; 1 s leaves the next attempt room on a busy machine.
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions { AttemptTimeout = TimeSpan.FromSeconds(1), DelayScale = 0.001 });

        var result = await sender.SendOneAsync(new OutboundEvent(Body, server.Url));

        Assert.Equal(SendOutcome.Acknowledged, result.Outcome);
        Assert.Equal(200, result.Attempts[^1].Status);
        Assert.Null(result.Attempts[0].Status);
        Assert.StartsWith("timeout", result.Attempts[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendOne_NothingListening_RetriesConnectionErrorsThenGivesUp()
    {
        var closed = new Uri($"http://127.0.0.1:{LoopbackPort.GetFree()}/events");
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions { MaxAttempts = 2, DelayScale = 0.001 });

        var result = await sender.SendOneAsync(new OutboundEvent(Body, closed));

        Assert.Equal(SendOutcome.GaveUp, result.Outcome);
        Assert.Null(result.FinalStatus);
        Assert.All(result.Attempts, a => Assert.StartsWith("connection error", a.Error, StringComparison.Ordinal));
        Assert.Equal(2, result.Attempts.Count);
    }

    [Fact]
    public async Task SendOne_SendsWhatAnApiDestinationSends()
    {
        await using var server = await new ScriptedServer().StartAsync();
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions { ApiKey = "s3cret" });

        await sender.SendOneAsync(new OutboundEvent(Body, server.Url));

        var request = Assert.Single(server.Requests);
        Assert.Equal("application/json; charset=utf-8", request.ContentType);
        Assert.Equal("s3cret", request.ApiKey);
        Assert.Equal(Body, request.Body);
        Assert.Equal("/events", request.Path);
    }

    [Fact]
    public async Task SendOne_TwoTargets_RetryGoesToTheOther()
    {
        await using var first = await new ScriptedServer()
            .Then(ScriptedServer.Answer.Status(HttpStatusCode.ServiceUnavailable))
            .StartAsync();
        await using var second = await new ScriptedServer().StartAsync();
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions { DelayScale = 0.001 });

        var result = await sender.SendOneAsync(new OutboundEvent(Body, [first.Url, second.Url]));

        Assert.Equal(SendOutcome.Acknowledged, result.Outcome);
        Assert.Equal([first.Url, second.Url], result.Attempts.Select(a => a.Target));
    }

    [Fact]
    public async Task Send_ManyEvents_NeverMoreInFlightThanTheBoundAndOneResultPerEventInOrder()
    {
        const int bound = 3;
        const int count = 12;
        using var gate = new SemaphoreSlim(0);
        var arrivals = 0;
        // Requests are answered only when the gate lets them: one each time `bound` are in flight, and all the rest
        // once the last has arrived. A sender that keeps at most `bound` in flight moves on; more would show in MaxInFlight.
        await using var server = await new ScriptedServer
        {
            Gate = gate,
            Arrived = inFlight =>
            {
                if (Interlocked.Increment(ref arrivals) == count)
                {
                    gate.Release(bound);
                }
                else if (inFlight >= bound)
                {
                    gate.Release();
                }
            },
        }.StartAsync();
        using var sender = new EventBridgeSender(new EventBridgeSenderOptions { MaxConcurrency = bound });
        var events = Enumerable.Range(0, count).Select(i => new OutboundEvent(Encoding.UTF8.GetBytes($$"""{"n":{{i}}}"""), server.Url, $"e{i}")).ToList();
        var dispatched = new List<int>();

        var results = await sender.SendAsync(events, dispatched.Add);

        Assert.Equal(events.Select(e => e.Label), results.Select(r => r.Label));
        Assert.All(results, r => Assert.Equal(SendOutcome.Acknowledged, r.Outcome));
        Assert.Equal(bound, server.MaxInFlight);
        Assert.Equal(Enumerable.Range(1, count), dispatched);
    }
}
