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
