using Microsoft.Extensions.Options;

namespace GenesysDedup.Handlers.Http;

/// <summary>The <c>Handler:Http</c> section (docs/behaviour.md#handlers, docs/behaviour.md#configuration).</summary>
public sealed class HttpHandlerOptions
{
    public const string SectionName = "Handler:Http";

    /// <summary>The downstream that receives each unique event as a POST of its original JSON.</summary>
    public Uri? Url { get; set; }

    /// <summary>How long the downstream may take; past it the delivery fails and is retried.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);
}

internal sealed class HttpHandlerOptionsChecks : IValidateOptions<HttpHandlerOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpHandlerOptions options)
    {
        var failures = new ValidateOptionsResultBuilder();
        if (options.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            failures.AddError("Handler:Http:Url must be an absolute http(s) URL when Handler:Kind is 'http'.");
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromMinutes(5))
        {
            failures.AddError("Handler:Http:Timeout must be between 00:00:00.001 and 00:05:00.");
        }

        return failures.Build();
    }
}
