using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace GenesysDedup.Testing;

/// <summary>
/// Posts events the way an EventBridge API destination does (docs/behaviour.md#http-host): <c>Content-Type: application/json;
/// charset=utf-8</c>, an optional API-key header, a per-attempt timeout (5 s); 401, 407, 409, 429, 5xx, timeouts and
/// connection errors are retried with exponential backoff and jitter, a <c>Retry-After</c> taking the place of the
/// backoff; any other status is final (any other 4xx goes to the rule's dead-letter queue); an event is given up once its next retry would start after
/// <see cref="EventBridgeSenderOptions.GiveUpAfter"/> (EventBridge: the maximum event age) or after
/// <see cref="EventBridgeSenderOptions.MaxAttempts"/> attempts. At most
/// <see cref="EventBridgeSenderOptions.MaxConcurrency"/> events are in flight at once. Every attempt is recorded, with
/// its times, so a scenario can say what was answered when.
/// </summary>
public sealed class EventBridgeSender : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");

    private readonly EventBridgeSenderOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _client;
    private readonly Random _random;
    private readonly Lock _randomLock = new();

    public EventBridgeSender(EventBridgeSenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AttemptTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(options.GiveUpAfter.Ticks);
        ArgumentOutOfRangeException.ThrowIfNegative(options.DelayScale);
        ArgumentOutOfRangeException.ThrowIfNegative(options.EventsPerSecond);
        _options = options;
        _time = options.TimeProvider ?? TimeProvider.System;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        _client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxConcurrency,
            ConnectTimeout = options.AttemptTimeout,
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // each attempt has its own timeout
        };
    }

    /// <summary>
    /// Sends every event and returns one result per event, in the order given. <paramref name="dispatched"/> is told
    /// the number of events started so far, each time one starts (from one thread, in order), so a scenario can act at
    /// chosen points of the stream.
    /// </summary>
    public async Task<IReadOnlyList<SendResult>> SendAsync(IReadOnlyList<OutboundEvent> events, Action<int>? dispatched = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var results = new SendResult[events.Count];
        using var slots = new SemaphoreSlim(_options.MaxConcurrency);
        var running = new List<Task>(events.Count);
        var started = _time.GetTimestamp();
        try
        {
            for (var i = 0; i < events.Count; i++)
            {
                if (_options.EventsPerSecond > 0)
                {
                    var due = TimeSpan.FromSeconds(i / _options.EventsPerSecond) - _time.GetElapsedTime(started);
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, _time, cancellationToken);
                    }
                }

                await slots.WaitAsync(cancellationToken);
                var index = i;
                running.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            results[index] = await SendOneAsync(index, events[index], cancellationToken);
                        }
                        finally
                        {
                            slots.Release();
                        }
                    },
                    CancellationToken.None));
                dispatched?.Invoke(i + 1);
            }
        }
        finally
        {
            // Even when cancelled: every started event ends before its slot goes away.
            await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await Task.WhenAll(running);
        return results;
    }

    /// <summary>Sends one event (with its retries) and says how it ended.</summary>
    public Task<SendResult> SendOneAsync(OutboundEvent outbound, CancellationToken cancellationToken = default) =>
        SendOneAsync(0, outbound, cancellationToken);

    public void Dispose() => _client.Dispose();

    private async Task<SendResult> SendOneAsync(int index, OutboundEvent outbound, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outbound);
        ArgumentOutOfRangeException.ThrowIfZero(outbound.Targets.Count);
        var attempts = new List<SendAttempt>();
        var firstAttempt = _time.GetTimestamp();
        while (true)
        {
            var target = outbound.Targets[(index + attempts.Count) % outbound.Targets.Count];
            var attempt = await AttemptAsync(attempts.Count + 1, target, outbound.Body, cancellationToken);
            attempts.Add(attempt);

            if (!IsRetryable(attempt))
            {
                var outcome = attempt.Status is >= 200 and < 300 ? SendOutcome.Acknowledged : SendOutcome.Rejected;
                return new SendResult(index, outbound.Label, outcome, attempt.Status, attempts);
            }

            var delay = Scale(attempt.RetryAfter ?? Backoff(attempts.Count));
            if (attempts.Count >= _options.MaxAttempts || _time.GetElapsedTime(firstAttempt) + delay > _options.GiveUpAfter)
            {
                return new SendResult(index, outbound.Label, SendOutcome.GaveUp, attempt.Status, attempts);
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _time, cancellationToken);
            }
        }
    }

    private async Task<SendAttempt> AttemptAsync(int number, Uri target, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var startedAt = _time.GetUtcNow();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.AttemptTimeout);
        using var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = JsonContentType;
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = content };
        if (_options.ApiKey is { } apiKey)
        {
            request.Headers.TryAddWithoutValidation(_options.ApiKeyHeader, apiKey);
        }

        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var answer = await ReadAnswerAsync(response, timeout.Token);
            return new SendAttempt(number, target, startedAt, _time.GetUtcNow(), (int)response.StatusCode, RetryAfter(response), answer.Outcome, answer.Key, answer.Detail, Error: null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed(number, target, startedAt, $"timeout after {_options.AttemptTimeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException ex)
        {
            return Failed(number, target, startedAt, $"connection error: {ex.HttpRequestError}");
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            return Failed(number, target, startedAt, $"connection error: {ex.GetType().Name}");
        }
    }

    private SendAttempt Failed(int number, Uri target, DateTimeOffset startedAt, string error) =>
        new(number, target, startedAt, _time.GetUtcNow(), Status: null, RetryAfter: null, Outcome: null, Key: null, Detail: null, error);

    // The statuses EventBridge retries for an API destination; it does not retry other 4xx (nor 1xx, 2xx, 3xx).
    private static bool IsRetryable(SendAttempt attempt) => attempt.Status is null or 401 or 407 or 409 or 429 or >= 500;

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        if (retryAfter.Delta is { } delta)
        {
            return delta;
        }

        return retryAfter.Date is { } date ? Max(date - _time.GetUtcNow(), TimeSpan.Zero) : null;
    }

    /// <summary>Exponential backoff with equal jitter: half of min(max, initial·2^(n−1)) plus a random part of the other half.</summary>
    private TimeSpan Backoff(int attemptsSoFar)
    {
        var ceiling = Math.Min(_options.MaxBackoff.TotalMilliseconds, _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, attemptsSoFar - 1));
        double fraction;
        lock (_randomLock)
        {
            fraction = _random.NextDouble();
        }

        return TimeSpan.FromMilliseconds((ceiling / 2) + (ceiling / 2 * fraction));
    }

    private TimeSpan Scale(TimeSpan delay) => TimeSpan.FromTicks((long)(delay.Ticks * _options.DelayScale));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The <c>outcome</c>, <c>key</c> and <c>detail</c> members of a JSON answer (GenesysDedup's), when present.</summary>
    private static async Task<(string? Outcome, string? Key, string? Detail)> ReadAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (bytes.Length == 0 || mediaType is null || !mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null, null);
            }

            return (Member(document.RootElement, "outcome"), Member(document.RootElement, "key"), Member(document.RootElement, "detail"));
        }
        catch (JsonException)
        {
            return (null, null, null);
        }

        static string? Member(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}

/// <summary>How an <see cref="EventBridgeSender"/> behaves; the defaults are an API destination's, bounded to a minute.</summary>
public sealed class EventBridgeSenderOptions
{
    /// <summary>Per-attempt timeout; EventBridge's is 5 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>No retry starts later than this after the first attempt (EventBridge: up to 24 h; scenarios: a minute).</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most attempts per event (EventBridge: 185).</summary>
    public int MaxAttempts { get; init; } = 185;

    /// <summary>First backoff before jitter; doubles per attempt up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Largest backoff before jitter.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Multiplies every wait (backoff and <c>Retry-After</c>): 1 for real runs, tiny or 0 in unit tests.</summary>
    public double DelayScale { get; init; } = 1;

    /// <summary>Events in flight at once.</summary>
    public int MaxConcurrency { get; init; } = 16;

    /// <summary>Pace of new events (0: as fast as the concurrency allows), so a stream lasts long enough to be disturbed.</summary>
    public double EventsPerSecond { get; init; }

    /// <summary>Sent as <see cref="ApiKeyHeader"/> when set (an API-key connection).</summary>
    public string? ApiKey { get; init; }

    public string ApiKeyHeader { get; init; } = "x-api-key";

    /// <summary>Seed of the jitter, for a reproducible run.</summary>
    public int? Seed { get; init; }

    /// <summary>The clock of the timestamps, the pacing and the waits; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; init; }
}

/// <summary>One event to send: its body and where to send it; attempt n of event i goes to <c>Targets[(i + n − 1) % Count]</c>.</summary>
public sealed record OutboundEvent(ReadOnlyMemory<byte> Body, IReadOnlyList<Uri> Targets, string? Label = null)
{
    public OutboundEvent(ReadOnlyMemory<byte> body, Uri target, string? label = null)
        : this(body, [target], label)
    {
    }
}

/// <summary>How sending one event ended.</summary>
public enum SendOutcome
{
    /// <summary>A 2xx.</summary>
    Acknowledged,

    /// <summary>A final status other than 2xx (a 4xx other than 401, 407, 409 and 429; a 3xx): never retried.</summary>
    Rejected,

    /// <summary>Still failing (401, 407, 409, 429, 5xx, timeout, connection error) when the time or attempt bound was reached.</summary>
    GaveUp,
}

/// <summary>The end of one event's delivery: outcome, last status (null when the last attempt got no answer) and every attempt.</summary>
public sealed record SendResult(int Index, string? Label, SendOutcome Outcome, int? FinalStatus, IReadOnlyList<SendAttempt> Attempts)
{
    public bool GaveUp => Outcome == SendOutcome.GaveUp;
}

/// <summary>
/// One HTTP attempt: its target, start and end, the status (null: timeout or connection error, see <see cref="Error"/>),
/// the <c>Retry-After</c> it carried and the <c>outcome</c>/<c>key</c>/<c>detail</c> of a JSON answer.
/// </summary>
public sealed record SendAttempt(
    int Number,
    Uri Target,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    int? Status,
    TimeSpan? RetryAfter,
    string? Outcome,
    string? Key,
    string? Detail,
    string? Error);
