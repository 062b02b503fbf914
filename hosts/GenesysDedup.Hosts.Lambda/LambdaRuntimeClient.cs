using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// The Lambda Runtime API (version 2018-06-01) spoken over one <see cref="HttpClient"/>: long-poll the next invocation,
/// post its response or error, or post an initialisation error. No Amazon.Lambda.* package (ADR 0003).
/// </summary>
internal sealed class LambdaRuntimeClient : IDisposable
{
    public const string ApiVariable = "AWS_LAMBDA_RUNTIME_API";

    /// <summary>Lambda's own limit (6 MB, a synchronous invocation) plus one MiB: it only keeps a runaway body from exhausting memory.</summary>
    public const int MaxPayloadBytes = 7 * 1024 * 1024;

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    private readonly HttpClient _http;

    public LambdaRuntimeClient(string runtimeApi)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runtimeApi);
        var handler = new SocketsHttpHandler
        {
            // The Runtime API is a local endpoint: no proxy discovery, no redirects, one long-lived connection.
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            // Talking to the Runtime API is no part of a delivery's trace: no client span, no trace header.
            ActivityHeadersPropagator = null,
        };
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = new Uri($"http://{runtimeApi.Trim()}/2018-06-01/", UriKind.Absolute),
            // `next` blocks until Lambda has an invocation, for as long as the sandbox is frozen: never time it out.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>
    /// Long-polls for the next invocation. <paramref name="stopping"/> cancels only the wait: once Lambda has handed an
    /// invocation over, its payload is read to the end, or up to <see cref="MaxPayloadBytes"/>.
    /// </summary>
    public async Task<Invocation> NextAsync(CancellationToken stopping)
    {
        using var response = await _http.GetAsync(new Uri("runtime/invocation/next", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, stopping)
            .ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var requestId = Header(response, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new HttpRequestException("GET runtime/invocation/next answered without Lambda-Runtime-Aws-Request-Id");
        var deadline = long.TryParse(Header(response, "Lambda-Runtime-Deadline-Ms"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : (DateTimeOffset?)null;
        var payload = await ReadPayloadAsync(response.Content).ConfigureAwait(false);
        return new Invocation(requestId, deadline, Header(response, "Lambda-Runtime-Trace-Id"), payload ?? [], PayloadTooLarge: payload is null);
    }

    // The whole body, or null past MaxPayloadBytes.
    private static async Task<byte[]?> ReadPayloadAsync(HttpContent content)
    {
        var declared = content.Headers.ContentLength;
        if (declared > MaxPayloadBytes)
        {
            return null;
        }

        var stream = await content.ReadAsStreamAsync(CancellationToken.None).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var payload = new MemoryStream((int)(declared ?? 0));
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                if (payload.Length + read > MaxPayloadBytes)
                {
                    return null;
                }

                payload.Write(chunk, 0, read);
            }

            return payload.Length == payload.Capacity ? payload.GetBuffer() : payload.ToArray();
        }
    }

    /// <summary>
    /// Posts the invocation's response, or its error (Lambda then counts the invocation as failed: async retries, the
    /// on-failure destination). Throws <see cref="HttpRequestException"/> when the Runtime API does not accept it.
    /// </summary>
    public Task PostResultAsync(string requestId, InvocationResult result) => result.Error is { } error
        ? PostAsync(new Uri($"runtime/invocation/{Uri.EscapeDataString(requestId)}/error", UriKind.Relative), error.ToUtf8Json(), error.Type)
        : PostAsync(new Uri($"runtime/invocation/{Uri.EscapeDataString(requestId)}/response", UriKind.Relative), result.Response!, errorType: null);

    public Task PostInitErrorAsync(LambdaError error) =>
        PostAsync(new Uri("runtime/init/error", UriKind.Relative), error.ToUtf8Json(), error.Type);

    public void Dispose() => _http.Dispose();

    private async Task PostAsync(Uri path, byte[] body, string? errorType)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonContentType;
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (errorType is not null)
        {
            request.Headers.TryAddWithoutValidation("Lambda-Runtime-Function-Error-Type", errorType);
        }

        // Not cancellable: a result that was computed is always delivered, also during shutdown.
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

/// <summary>One invocation as <c>next</c> handed it over.</summary>
/// <param name="RequestId"><c>Lambda-Runtime-Aws-Request-Id</c>.</param>
/// <param name="Deadline"><c>Lambda-Runtime-Deadline-Ms</c>: when Lambda stops the invocation; null when the header is missing.</param>
/// <param name="TraceId"><c>Lambda-Runtime-Trace-Id</c> (X-Ray), exported as <c>_X_AMZN_TRACE_ID</c>.</param>
/// <param name="Payload">The event, as Lambda sent it (empty when <paramref name="PayloadTooLarge"/>).</param>
/// <param name="PayloadTooLarge">The payload was over <see cref="LambdaRuntimeClient.MaxPayloadBytes"/> and was not read.</param>
internal sealed record Invocation(string RequestId, DateTimeOffset? Deadline, string? TraceId, byte[] Payload, bool PayloadTooLarge = false)
{
    /// <summary>The remote parent <see cref="TraceId"/> names; default (none) when it is missing or malformed.</summary>
    public ActivityContext TraceParent { get; } = XRayTraceHeader.Parse(TraceId) ?? default;
}

/// <summary>What the Runtime API's error endpoints take; the message holds no payload content.</summary>
internal readonly record struct LambdaError(string Type, string Message)
{
    public byte[] ToUtf8Json() =>
        JsonSerializer.SerializeToUtf8Bytes(new ErrorResponse(Message, Type), LambdaJsonContext.Default.ErrorResponse);
}
