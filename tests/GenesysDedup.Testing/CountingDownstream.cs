using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Testing;

/// <summary>
/// A real HTTP downstream for the <c>http</c> handler: a Kestrel server on a free loopback port that takes a POST
/// (or any request) at any path, records it as a delivery under its <c>Idempotency-Key</c> and answers 200 — unless
/// told to answer a key's next deliveries otherwise (<see cref="AnswerNext"/>) or to hold one open until the test lets
/// it go (<see cref="HoldNext"/>). Nothing here sleeps: held deliveries wait on a <see cref="TaskCompletionSource"/>,
/// and <see cref="DisposeAsync"/> releases any still held before it stops the server.
/// </summary>
public sealed class CountingDownstream : IAsyncDisposable
{
    /// <summary>The request header that carries the dedup key.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private readonly Lock _sync = new();
    private readonly List<Delivery> _deliveries = [];
    private readonly Dictionary<string, Answers> _answers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<HeldDelivery>> _holds = new(StringComparer.Ordinal);
    private readonly List<HeldDelivery> _allHolds = [];
    private readonly TimeProvider _time;
    private WebApplication? _app;

    private CountingDownstream(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Where the downstream listens, e.g. <c>http://127.0.0.1:54321/</c>; POST to it or to any path below it.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>
    /// How long every delivery waits, once recorded, before it is answered — a downstream's own processing time, so
    /// that deliveries are in flight long enough for a fault to land in the middle of one. Zero by default.
    /// </summary>
    public TimeSpan AnswerDelay { get; set; }

    /// <summary>Every delivery so far, in the order they arrived (held ones included from the moment they arrived).</summary>
    public IReadOnlyList<Delivery> Deliveries
    {
        get
        {
            lock (_sync)
            {
                return [.. _deliveries];
            }
        }
    }

    /// <summary>Starts a downstream on a free loopback port.</summary>
    public static Task<CountingDownstream> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(TimeProvider.System, cancellationToken);

    /// <summary>Starts a downstream on a free loopback port whose <see cref="Delivery.ReceivedAt"/> comes from <paramref name="time"/>.</summary>
    public static async Task<CountingDownstream> StartAsync(TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(time);
        var downstream = new CountingDownstream(time);
        (downstream._app, downstream.Url) = await LoopbackWebApp.StartAsync(app => app.Run(downstream.ReceiveAsync), cancellationToken).ConfigureAwait(false);
        return downstream;
    }

    /// <summary>The deliveries of one key, in the order they arrived.</summary>
    public IReadOnlyList<Delivery> DeliveriesOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_sync)
        {
            return [.. _deliveries.Where(d => d.Key == key)];
        }
    }

    /// <summary>
    /// The next <paramref name="times"/> deliveries of <paramref name="key"/> are answered with
    /// <paramref name="status"/> instead of 200: a 5xx or 4xx to fail them, another 2xx (202, 204) to accept them,
    /// a 3xx with a <paramref name="location"/> (absolute, or relative to the request) to redirect them.
    /// Replaces any earlier instruction for the key.
    /// </summary>
    public void AnswerNext(string key, HttpStatusCode status, int times = 1, string? location = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegative(times);
        lock (_sync)
        {
            _answers[key] = new Answers(times, status, location);
        }
    }

    /// <summary>
    /// The next delivery of <paramref name="key"/> is recorded when it arrives, then gets no response until
    /// <see cref="HeldDelivery.Release"/> (or until the client gives up, or the downstream is disposed).
    /// Call it again to hold the delivery after that one too.
    /// </summary>
    public HeldDelivery HoldNext(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var held = new HeldDelivery();
        lock (_sync)
        {
            if (!_holds.TryGetValue(key, out var queue))
            {
                _holds[key] = queue = new Queue<HeldDelivery>();
            }

            queue.Enqueue(held);
            _allHolds.Add(held);
        }

        return held;
    }

    /// <summary>Releases every held delivery, then stops the server; its port is closed afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_sync)
        {
            foreach (var held in _allHolds)
            {
                held.Release();
            }
        }

        if (_app is { } app)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, aborted).ConfigureAwait(false);
        var key = context.Request.Headers.TryGetValue(IdempotencyKeyHeader, out var values) ? values.ToString() : null;

        Delivery delivery;
        HeldDelivery? held = null;
        lock (_sync)
        {
            var answer = new Answers(1, HttpStatusCode.OK, null);
            if (key is not null && _answers.TryGetValue(key, out var answers) && answers.Left > 0)
            {
                answer = answers;
                _answers[key] = answers with { Left = answers.Left - 1 };
            }

            var request = context.Request;
            delivery = new Delivery(key, request.Method, request.Path.Value ?? "/", body.ToArray(), request.ContentType, answer.Status, answer.Location)
            {
                ReceivedAt = _time.GetUtcNow(),
                TraceParent = request.Headers.TryGetValue("traceparent", out var traceParent) ? traceParent.ToString() : null,
            };
            _deliveries.Add(delivery);
            if (key is not null && _holds.TryGetValue(key, out var queue) && queue.TryDequeue(out var next))
            {
                held = next;
            }
        }

        if (held is not null)
        {
            held.Arrive(delivery);
            try
            {
                await held.Released.WaitAsync(aborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                return; // the client gave up (its timeout fired); nobody is left to answer
            }
        }

        if (AnswerDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(AnswerDelay, _time, aborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                return; // the client gave up meanwhile
            }
        }

        context.Response.StatusCode = (int)delivery.Status;
        if (delivery.Location is not null)
        {
            context.Response.Headers.Location = delivery.Location;
        }
    }

    private readonly record struct Answers(int Left, HttpStatusCode Status, string? Location);
}

/// <summary>One request the downstream received.</summary>
/// <param name="Key">The <c>Idempotency-Key</c> header; null when it was missing.</param>
/// <param name="Method">The HTTP method: <c>POST</c> for a forwarded event.</param>
/// <param name="Path">The request path, e.g. <c>/</c>.</param>
/// <param name="Body">The request body exactly as received.</param>
/// <param name="ContentType">The <c>Content-Type</c> header as sent, e.g. <c>application/json; charset=utf-8</c>.</param>
/// <param name="Status">The status the downstream answered (or will answer, for a delivery still held).</param>
/// <param name="Location">The <c>Location</c> header it answered with, if any.</param>
public sealed record Delivery(string? Key, string Method, string Path, byte[] Body, string? ContentType, HttpStatusCode Status, string? Location)
{
    /// <summary>When the whole body had arrived and the delivery was recorded (the downstream's clock).</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The W3C <c>traceparent</c> header the delivery carried, if any.</summary>
    public string? TraceParent { get; init; }
}

/// <summary>A delivery the downstream will hold open: see <see cref="CountingDownstream.HoldNext"/>.</summary>
public sealed class HeldDelivery
{
    private readonly TaskCompletionSource<Delivery> _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal HeldDelivery()
    {
    }

    /// <summary>Completes when the held delivery has reached the downstream (and been recorded).</summary>
    public Task<Delivery> Arrived => _arrived.Task;

    internal Task Released => _released.Task;

    /// <summary>Lets the held delivery be answered. Safe to call more than once, and before it arrives.</summary>
    public void Release() => _released.TrySetResult();

    internal void Arrive(Delivery delivery) => _arrived.TrySetResult(delivery);
}
