using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Testing.Tests;

/// <summary>
/// A Kestrel server on a free loopback port that answers its requests from a script, in arrival order: a status with
/// an optional <c>Retry-After</c>, or a hold that is never answered (the client's timeout ends it). When the script
/// runs out, <see cref="Otherwise"/> answers. With <see cref="Gate"/> set, every answer waits for one release of it.
/// Records each request and how many were in flight at most.
/// </summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<Answer> _script = new();
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication _app = null!;
    private int _inFlight;
    private int _maxInFlight;

    public Uri Url { get; private set; } = null!;

    public Answer Otherwise { get; init; } = Answer.Status(HttpStatusCode.OK);

    /// <summary>When set, each request is answered only after one <see cref="SemaphoreSlim.Release()"/>.</summary>
    public SemaphoreSlim? Gate { get; init; }

    /// <summary>Raised with the number of requests in flight, each time one arrives.</summary>
    public Action<int>? Arrived { get; init; }

    public IReadOnlyList<Received> Requests => [.. _received];

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public ScriptedServer Then(Answer answer)
    {
        _script.Enqueue(answer);
        return this;
    }

    public async Task<ScriptedServer> StartAsync()
    {
        (_app, var address) = await LoopbackWebApp.StartAsync(app => app.Run(ReceiveAsync));
        Url = new Uri(address, "events");
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            int seen;
            do
            {
                seen = Volatile.Read(ref _maxInFlight);
            }
            while (inFlight > seen && Interlocked.CompareExchange(ref _maxInFlight, inFlight, seen) != seen);

            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var request = context.Request;
            _received.Enqueue(new Received(request.Path.Value ?? "/", request.ContentType, request.Headers["x-api-key"].ToString(), body.ToArray()));
            Arrived?.Invoke(inFlight);

            var answer = _script.TryDequeue(out var next) ? next : Otherwise;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            try
            {
                if (answer.Hold)
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }

                if (Gate is { } gate)
                {
                    await gate.WaitAsync(stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
                return; // the client gave up, or the server is stopping
            }

            context.Response.StatusCode = (int)answer.Code;
            if (answer.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    internal sealed record Answer(HttpStatusCode Code, int? RetryAfterSeconds = null, bool Hold = false)
    {
        public static Answer Status(HttpStatusCode code, int? retryAfterSeconds = null) => new(code, retryAfterSeconds);

        /// <summary>Never answered: the client's attempt timeout ends it.</summary>
        public static Answer Never() => new(HttpStatusCode.OK, Hold: true);
    }

    internal sealed record Received(string Path, string? ContentType, string ApiKey, byte[] Body);
}
