using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenesysDedup.AspNetCore;

/// <summary>
/// The operator API (docs/operations.md): look up or remove one event's record by its key. Every request needs
/// <c>Http:AdminApiKey</c> in header <c>x-admin-key</c>, compared as a SHA-256 digest in constant time; no ingest
/// credential is looked at.
/// </summary>
internal sealed partial class AdminEndpoint(
    IEventRecords records, IOptions<GenesysDedupEventsOptions> options, IOptions<DedupOptions> dedup, ILogger<AdminEndpoint> logger)
{
    /// <summary>The header that carries <c>Http:AdminApiKey</c>.</summary>
    internal const string KeyHeader = "x-admin-key";

    private readonly byte[]? _keyDigest = options.Value.HasAdminApiKey ? RequestAuthenticator.Digest(options.Value.AdminApiKey!) : null;

    /// <summary>Whether <c>Http:AdminApiKey</c> is set; without it nothing is mapped.</summary>
    public bool Enabled => _keyDigest is not null;

    /// <summary><c>GET {eventsPath}{key}</c>: 200 with the record, or 404.</summary>
    public async Task FindAsync(HttpContext context, string eventsPath) => await (await RunAsync(context, eventsPath, async (key, keyNamespace) =>
        await records.FindAsync(key, keyNamespace, context.RequestAborted).ConfigureAwait(false) is { } found
            ? TypedResults.Json(found.ToView(), AdminJsonContext.Default.EventRecordView)
            : NotFound(key)).ConfigureAwait(false)).ExecuteAsync(context).ConfigureAwait(false);

    /// <summary><c>DELETE {eventsPath}{key}</c>: 204 when a record was removed (the next delivery is processed again), or 404.</summary>
    public async Task RemoveAsync(HttpContext context, string eventsPath) => await (await RunAsync(context, eventsPath, async (key, keyNamespace) =>
    {
        if (!await records.RemoveAsync(key, keyNamespace, context.RequestAborted).ConfigureAwait(false))
        {
            return NotFound(key);
        }

        LogRemoved(logger, key, keyNamespace ?? dedup.Value.Namespace);
        return TypedResults.NoContent();
    }).ConfigureAwait(false)).ExecuteAsync(context).ConfigureAwait(false);

    /// <summary>Any other path under the prefix: 404, but only to a caller with the key.</summary>
    public async Task OtherAsync(HttpContext context) =>
        await ((IResult?)Denied(context) ?? Problem(StatusCodes.Status404NotFound, "Not found", "no such operator endpoint")).ExecuteAsync(context).ConfigureAwait(false);

    private async Task<IResult> RunAsync(HttpContext context, string eventsPath, Func<string, string?, Task<IResult>> operation)
    {
        if (Denied(context) is { } denied)
        {
            return denied;
        }

        if (KeyOf(context, eventsPath) is not { Length: > 0 } key)
        {
            return Problem(StatusCodes.Status404NotFound, "Not found", $"give the key URL-encoded after {eventsPath}");
        }

        try
        {
            return await operation(key, context.Request.Query.TryGetValue("namespace", out var ns) ? ns.ToString() : null).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad request", ex.Message);
        }
        catch (DedupStoreUnavailableException ex)
        {
            context.Response.Headers.RetryAfter = ((int)DedupResult.StoreRetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            LogUnavailable(logger, ex.Message);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Store unavailable", "the dedup store did not answer; try again",
                new Dictionary<string, object?> { ["outcome"] = DedupOutcome.StoreUnavailable.ToWireName() });
        }
    }

    private ProblemHttpResult? Denied(HttpContext context) =>
        context.Request.Headers.TryGetValue(KeyHeader, out var presented) && presented.Count == 1
        && RequestAuthenticator.Matches(_keyDigest!, presented[0]!)
            ? null
            : Problem(StatusCodes.Status401Unauthorized, "Unauthorized", $"missing or wrong {KeyHeader}");

    /// <summary>
    /// The key as sent, percent-decoded from the raw request target. The decoded path cannot be used: Kestrel leaves
    /// <c>%2F</c> encoded in it but decodes <c>%25</c>, so <c>a/b</c> and <c>a%2Fb</c> would arrive as one path. Null
    /// when the target does not begin with the prefix as written (e.g. an encoded or dot-segment prefix).
    /// </summary>
    internal static string? KeyOf(HttpContext context, string eventsPath)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        var path = target.AsSpan();
        if (path.IndexOf('?') is var query and >= 0)
        {
            path = path[..query];
        }

        var prefix = string.Concat(context.Request.PathBase.Value, eventsPath);
        return path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? Uri.UnescapeDataString(path[prefix.Length..].ToString()) : null;
    }

    private static ProblemHttpResult NotFound(string key) =>
        Problem(StatusCodes.Status404NotFound, "Not found", $"no record holds key '{key}' (expired records count as none)");

    private static ProblemHttpResult Problem(int status, string title, string detail, Dictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);

    [LoggerMessage(2, LogLevel.Information, "Operator removed the record of {Key} in namespace '{Namespace}'; its next delivery is processed again")]
    private static partial void LogRemoved(ILogger logger, LogText key, LogText @namespace);

    [LoggerMessage(3, LogLevel.Warning, "Operator request answered 503: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventRecordView))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
