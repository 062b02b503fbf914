using GenesysDedup.Application;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GenesysDedup.Cli;

/// <summary>Every JSON document the tool writes, source-generated.</summary>
[JsonSerializable(typeof(KeyLine))]
[JsonSerializable(typeof(ReplayReport))]
[JsonSerializable(typeof(EventRecordView))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>camelCase, absent members left out, and text as operators read it: only what JSON requires escaped.</summary>
    public static CliJsonContext Output { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
