using System.Text;
using System.Text.Json;

namespace GenesysDedup.Testing;

/// <summary>
/// Builds the event an SQS event source mapping sends a Lambda function: <c>{"Records":[…]}</c> with one record per
/// message, each carrying its body as a JSON string, as SQS does for an EventBridge rule's target queue.
/// </summary>
public sealed class SqsBatchBuilder
{
    public const string QueueArn = "arn:aws:sqs:eu-west-1:123456789012:genesys-dedup-events";

    private readonly List<Record> _records = [];
    private readonly bool _fifo;

    /// <param name="fifo">Records carry a <c>MessageGroupId</c> (and the queue ARN ends in <c>.fifo</c>).</param>
    public SqsBatchBuilder(bool fifo = false) => _fifo = fifo;

    /// <summary>Adds a message whose body is the UTF-8 event text. Returns its messageId.</summary>
    public string Add(byte[] utf8Event, string? messageId = null, int receiveCount = 1) => AddText(Encoding.UTF8.GetString(utf8Event), messageId, receiveCount);

    /// <summary>Adds a message whose body is <paramref name="body"/> as it is (valid JSON or not). Returns its messageId.</summary>
    public string AddText(string body, string? messageId = null, int receiveCount = 1)
    {
        messageId ??= Guid.NewGuid().ToString();
        _records.Add(new Record(messageId, body, receiveCount));
        return messageId;
    }

    /// <summary>Adds a record with no <c>body</c> member at all.</summary>
    public string AddWithoutBody(string? messageId = null)
    {
        messageId ??= Guid.NewGuid().ToString();
        _records.Add(new Record(messageId, null, 1));
        return messageId;
    }

    public byte[] Build()
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("Records");
            var sequence = 0;
            foreach (var record in _records)
            {
                sequence++;
                writer.WriteStartObject();
                writer.WriteString("messageId", record.MessageId);
                writer.WriteString("receiptHandle", $"AQEB{Convert.ToBase64String(Encoding.UTF8.GetBytes(record.MessageId))}");
                if (record.Body is not null)
                {
                    // Utf8JsonWriter escapes quotes, control and non-ASCII characters, as SQS's JSON does.
                    writer.WriteString("body", record.Body);
                }

                writer.WriteStartObject("attributes");
                writer.WriteString("ApproximateReceiveCount", record.ReceiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
                writer.WriteString("SentTimestamp", "1795700000000");
                writer.WriteString("SenderId", "AIDAIENQZJOLO23YVJ4VO");
                writer.WriteString("ApproximateFirstReceiveTimestamp", "1795700000100");
                if (_fifo)
                {
                    writer.WriteString("MessageGroupId", "genesys");
                    writer.WriteString("SequenceNumber", sequence.ToString("D20", System.Globalization.CultureInfo.InvariantCulture));
                    writer.WriteString("MessageDeduplicationId", record.MessageId);
                }

                writer.WriteEndObject();
                writer.WriteStartObject("messageAttributes");
                writer.WriteEndObject();
                writer.WriteString("md5OfBody", "00000000000000000000000000000000");
                writer.WriteString("eventSource", "aws:sqs");
                writer.WriteString("eventSourceARN", _fifo ? QueueArn + ".fifo" : QueueArn);
                writer.WriteString("awsRegion", "eu-west-1");
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The messageIds a <c>{"batchItemFailures":[…]}</c> response lists, in order.</summary>
    public static IReadOnlyList<string> FailedIds(JsonElement response) =>
        [.. response.GetProperty("batchItemFailures").EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString()!)];

    private sealed record Record(string MessageId, string? Body, int ReceiveCount);
}
