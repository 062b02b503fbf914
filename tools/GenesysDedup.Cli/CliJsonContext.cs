using System.Text.Json.Serialization;

namespace GenesysDedup.Cli;

/// <summary>Every JSON document the tool writes, source-generated (camelCase, absent members left out).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KeyLine))]
[JsonSerializable(typeof(ReplayReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
