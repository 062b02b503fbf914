using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Testing;

/// <summary>
/// A fake of the AWS Lambda Runtime API (version 2018-06-01) for running a custom runtime (<c>bootstrap</c>) as a
/// real process: a Kestrel server on a free loopback port. Point the runtime's <c>AWS_LAMBDA_RUNTIME_API</c> at
/// <see cref="RuntimeApi"/>, <see cref="Enqueue"/> invocations, and await what the runtime posts back
/// (<see cref="ReplyAsync"/>, <see cref="InitErrorAsync"/>). <c>GET …/invocation/next</c> long-polls until an
/// invocation is queued, as Lambda's does. Nothing here sleeps; every wait is bounded.
/// </summary>
public sealed class FakeLambdaRuntime : IAsyncDisposable
{
    public const string FunctionArn = "arn:aws:lambda:eu-west-1:123456789012:function:genesys-dedup";

    /// <summary>How far ahead an invocation's deadline is by default (the function's timeout).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>How long the awaiting methods wait by default.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(30);

    private const string Prefix = "/2018-06-01/runtime";

    private readonly Channel<QueuedInvocation> _queue = Channel.CreateUnbounded<QueuedInvocation>();
    private readonly Lock _sync = new();
    private readonly Dictionary<string, TaskCompletionSource<RuntimeReply>> _replies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _dispatched = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<RuntimeReply> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<long> _polls = [];
    private readonly List<(int Ordinal, TaskCompletionSource<long> Waiter)> _pollWaiters = [];
    private readonly TimeProvider _time;
    private WebApplication? _app;

    private FakeLambdaRuntime(TimeProvider time) => _time = time;

    /// <summary>The value for <c>AWS_LAMBDA_RUNTIME_API</c>: <c>127.0.0.1:port</c>.</summary>
    public string RuntimeApi { get; private set; } = string.Empty;

    /// <summary>How many <c>next</c> requests have arrived so far.</summary>
    public int PollCount
    {
        get
        {
            lock (_sync)
            {
                return _polls.Count;
            }
        }
    }

    /// <summary>Starts a fake on a free loopback port. <paramref name="time"/> sets the deadlines (default: the system clock).</summary>
    public static async Task<FakeLambdaRuntime> StartAsync(TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var runtime = new FakeLambdaRuntime(time ?? TimeProvider.System);
        var (app, address) = await LoopbackWebApp.StartAsync(app =>
        {
            app.MapGet($"{Prefix}/invocation/next", runtime.NextAsync);
            app.MapPost($"{Prefix}/invocation/{{requestId}}/response", context => runtime.RecordAsync(context, RuntimeReplyKind.Response));
            app.MapPost($"{Prefix}/invocation/{{requestId}}/error", context => runtime.RecordAsync(context, RuntimeReplyKind.Error));
            app.MapPost($"{Prefix}/init/error", context => runtime.RecordAsync(context, RuntimeReplyKind.InitError));
        }, cancellationToken).ConfigureAwait(false);

        runtime._app = app;
        runtime.RuntimeApi = $"{address.Host}:{address.Port}";
        return runtime;
    }

    /// <summary>
    /// Queues one invocation and returns its request id. Its deadline is now + <paramref name="timeout"/>
    /// (<see cref="DefaultTimeout"/>); <paramref name="deadline"/>, when given, is used as it is.
    /// </summary>
    public string Enqueue(ReadOnlyMemory<byte> payload, TimeSpan? timeout = null, string? requestId = null, DateTimeOffset? deadline = null, string? traceId = null)
    {
        requestId ??= Guid.NewGuid().ToString();
        var at = deadline ?? _time.GetUtcNow() + (timeout ?? DefaultTimeout);
        lock (_sync)
        {
            if (!_replies.ContainsKey(requestId))
            {
                _replies[requestId] = NewReply();
            }
        }

        traceId ??= $"Root=1-{_time.GetUtcNow().ToUnixTimeSeconds():x8}-{Guid.NewGuid().ToString("N")[..24]};Parent=0123456789abcdef;Sampled=0";
        if (!_queue.Writer.TryWrite(new QueuedInvocation(requestId, payload.ToArray(), at, traceId)))
        {
            throw new InvalidOperationException("the fake runtime is stopped");
        }

        return requestId;
    }

    /// <summary>Queues a UTF-8 JSON text as an invocation.</summary>
    public string Enqueue(string json, TimeSpan? timeout = null) => Enqueue(Encoding.UTF8.GetBytes(json), timeout);

    /// <summary>What the runtime posted for <paramref name="requestId"/> (its response or its error), within <paramref name="within"/>.</summary>
    public async Task<RuntimeReply> ReplyAsync(string requestId, TimeSpan? within = null)
    {
        TaskCompletionSource<RuntimeReply> reply;
        lock (_sync)
        {
            if (!_replies.TryGetValue(requestId, out reply!))
            {
                _replies[requestId] = reply = NewReply();
            }
        }

        try
        {
            return await reply.Task.WaitAsync(within ?? DefaultWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the runtime posted nothing for invocation {requestId} within {(within ?? DefaultWait).TotalSeconds:F0} s");
        }
    }

    /// <summary>The init error the runtime posted, within <paramref name="within"/>.</summary>
    public async Task<RuntimeReply> InitErrorAsync(TimeSpan? within = null)
    {
        try
        {
            return await _initError.Task.WaitAsync(within ?? DefaultWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the runtime posted no init error within {(within ?? DefaultWait).TotalSeconds:F0} s");
        }
    }

    /// <summary>Whether an init error has been posted.</summary>
    public bool HasInitError => _initError.Task.IsCompleted;

    /// <summary>
    /// Completes with the <see cref="Stopwatch.GetTimestamp"/> at which the <paramref name="ordinal"/>-th
    /// <c>next</c> request arrived (1 = the first): with the timestamp taken just before the runtime's process was
    /// started, the time from process start to "ready for invocations".
    /// </summary>
    public Task<long> PollAsync(int ordinal = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ordinal, 1);
        lock (_sync)
        {
            if (_polls.Count >= ordinal)
            {
                return Task.FromResult(_polls[ordinal - 1]);
            }

            var waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pollWaiters.Add((ordinal, waiter));
            return waiter.Task;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_app is { } app)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource<RuntimeReply> NewReply() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task NextAsync(HttpContext context)
    {
        var arrived = Stopwatch.GetTimestamp();
        lock (_sync)
        {
            _polls.Add(arrived);
            foreach (var (ordinal, waiter) in _pollWaiters.Where(w => w.Ordinal == _polls.Count).ToList())
            {
                waiter.TrySetResult(arrived);
                _pollWaiters.Remove((ordinal, waiter));
            }
        }

        QueuedInvocation invocation;
        try
        {
            invocation = await _queue.Reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // the runtime went away while waiting (or it is shutting down)
        }
        catch (ChannelClosedException)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        var headers = context.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = invocation.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = invocation.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = FunctionArn;
        headers["Lambda-Runtime-Trace-Id"] = invocation.TraceId;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = invocation.Payload.Length;
        lock (_sync)
        {
            _dispatched[invocation.RequestId] = Stopwatch.GetTimestamp();
        }

        await context.Response.Body.WriteAsync(invocation.Payload, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task RecordAsync(HttpContext context, RuntimeReplyKind kind)
    {
        var arrived = Stopwatch.GetTimestamp();
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        var requestId = kind == RuntimeReplyKind.InitError ? null : context.GetRouteValue("requestId") as string;
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        long? dispatched = null;
        lock (_sync)
        {
            if (requestId is not null && _dispatched.TryGetValue(requestId, out var at))
            {
                dispatched = at;
            }
        }

        var reply = new RuntimeReply(kind, requestId, body.ToArray(), headers.GetValueOrDefault("Lambda-Runtime-Function-Error-Type"), headers)
        {
            DispatchedAt = dispatched,
            ReceivedAt = arrived,
        };

        TaskCompletionSource<RuntimeReply>? waiter;
        if (kind == RuntimeReplyKind.InitError)
        {
            waiter = _initError;
        }
        else
        {
            lock (_sync)
            {
                _replies.TryGetValue(requestId!, out waiter);
            }
        }

        if (waiter is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new ErrorBody("Invalid request ID", "InvalidRequestID")).ConfigureAwait(false);
            return;
        }

        if (!waiter.TrySetResult(reply))
        {
            // Lambda accepts one result per invocation.
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new ErrorBody("Invalid state transition: the result was already posted", "InvalidStateTransition")).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
        await context.Response.WriteAsJsonAsync(new StatusBody("OK")).ConfigureAwait(false);
    }

    private sealed record QueuedInvocation(string RequestId, byte[] Payload, DateTimeOffset Deadline, string TraceId);

    private sealed record ErrorBody(string ErrorMessage, string ErrorType);

    private sealed record StatusBody(string Status);
}

public enum RuntimeReplyKind
{
    /// <summary><c>POST …/invocation/{id}/response</c>.</summary>
    Response,

    /// <summary><c>POST …/invocation/{id}/error</c>.</summary>
    Error,

    /// <summary><c>POST …/init/error</c>.</summary>
    InitError,
}

/// <summary>What the runtime posted back to the fake.</summary>
/// <param name="Kind">Response, invocation error or init error.</param>
/// <param name="RequestId">The invocation's request id (null for an init error).</param>
/// <param name="Body">The body as received.</param>
/// <param name="ErrorType">The <c>Lambda-Runtime-Function-Error-Type</c> header, when sent.</param>
/// <param name="Headers">Every request header.</param>
public sealed record RuntimeReply(RuntimeReplyKind Kind, string? RequestId, byte[] Body, string? ErrorType, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary><see cref="Stopwatch.GetTimestamp"/> when the fake handed the invocation over on <c>next</c> (null for an init error).</summary>
    public long? DispatchedAt { get; init; }

    /// <summary><see cref="Stopwatch.GetTimestamp"/> when this post arrived.</summary>
    public long ReceivedAt { get; init; }

    /// <summary>From handing the invocation over to receiving its result: the invocation's latency as Lambda would see it.</summary>
    public TimeSpan? Latency => DispatchedAt is { } dispatched ? Stopwatch.GetElapsedTime(dispatched, ReceivedAt) : null;

    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The body parsed as JSON.</summary>
    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Body);
            return document.RootElement.Clone();
        }
    }

    /// <summary>A top-level string member of the JSON body, or null.</summary>
    public string? Member(string name) =>
        Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
