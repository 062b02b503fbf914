using System.Text.Json;
using System.Text.Json.Serialization;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>Every JSON the host writes, source-generated (Native AOT, no reflection).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventResponse))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class LambdaJsonContext : JsonSerializerContext;

/// <summary>The response to an EventBridge invocation whose event is processed or a duplicate (docs/behaviour.md#lambda-host).</summary>
internal sealed record EventResponse(string Outcome, string? Key);

/// <summary>The response to an SQS batch (<c>ReportBatchItemFailures</c>): the records SQS should deliver again.</summary>
internal sealed record BatchResponse(IReadOnlyList<BatchItemFailure> BatchItemFailures);

internal sealed record BatchItemFailure(string ItemIdentifier);

/// <summary>The body of <c>…/error</c> and <c>/runtime/init/error</c>.</summary>
internal sealed record ErrorResponse(string ErrorMessage, string ErrorType);
