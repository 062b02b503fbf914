using System.Net.Http.Headers;
using GenesysDedup.Domain;

namespace GenesysDedup.Handlers.Http;

/// <summary>
/// The <c>http</c> handler: POSTs the original event JSON to the downstream with
/// <c>Idempotency-Key: &lt;key&gt;</c>, percent-escaped where the key is not header-safe
/// (<see cref="IdempotencyKeyHeader"/>). A 2xx is success; any other status, a timeout or a connection error throws,
/// so the engine releases the claim and the sender's retry delivers it again.
/// </summary>
internal sealed class HttpForwardingHandler(HttpClient client) : IDedupHandler
{
    internal const string ClientName = "GenesysDedup.Handlers.Http";
    private static readonly MediaTypeHeaderValue JsonContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");

    public async ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(context.Event.Utf8Json);
        content.Headers.ContentType = JsonContentType;
        using var request = new HttpRequestMessage(HttpMethod.Post, (Uri?)null) { Content = content };
        request.Headers.Add(IdempotencyKeyHeader.Name, IdempotencyKeyHeader.Encode(context.Key.Value));

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new DownstreamRejectedException((int)response.StatusCode);
        }
    }
}

/// <summary>The downstream answered with a status other than 2xx.</summary>
public sealed class DownstreamRejectedException : Exception
{
    public DownstreamRejectedException()
    {
    }

    public DownstreamRejectedException(string message)
        : base(message)
    {
    }

    public DownstreamRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal DownstreamRejectedException(int statusCode)
        : base($"downstream answered HTTP {statusCode}")
    {
        StatusCode = statusCode;
    }

    public int StatusCode { get; }
}
