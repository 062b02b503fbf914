using System.Text.Json;
using System.Text.Json.Serialization;

namespace GenesysDedup.Hosts.Http;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventResponse))]
internal sealed partial class HostJsonContext : JsonSerializerContext;
