using System.Text;

namespace GenesysDedup.Testing;

/// <summary>Real-shaped Genesys Cloud events as EventBridge delivers them, shipped beside the test assemblies.</summary>
public static class Samples
{
    /// <summary>Audit event (v2.audits.entitytype.{id}.entityid.{id}), ISO eventTime.</summary>
    public const string Audit = "audit.json";

    /// <summary>Analytics conversation detail event (v2.detail.events.conversation.{id}.customer.start), epoch-ms eventTime.</summary>
    public const string ConversationDetail = "conversation-detail.json";

    /// <summary>Transcription event (v2.conversations.{id}.transcription), ISO eventTime.</summary>
    public const string Transcription = "transcription.json";

    /// <summary>User activity event (v2.users.{id}.activity).</summary>
    public const string UserActivity = "user-activity.json";

    /// <summary>
    /// User conversation summary (v2.users.{id}.conversationsummary) while the user is connected to call A. Its body is
    /// counters only: <see cref="ConversationSummaryCallB"/>, the user on a later call B, has a byte-identical
    /// topicName and eventBody; only the envelope id/time, detail.timestamp and detail.metadata.CorrelationId differ.
    /// </summary>
    public const string ConversationSummaryCallA = "conversation-summary-call-a.json";

    /// <summary>The second real event of the <see cref="ConversationSummaryCallA"/> pair.</summary>
    public const string ConversationSummaryCallB = "conversation-summary-call-b.json";

    /// <summary>The older tutorial shape with detail.event_id.</summary>
    public const string Tutorial = "tutorial.json";

    /// <summary>Every Genesys-shaped sample. Samples/README.md names the documented source of each shape.</summary>
    public static IReadOnlyList<string> GenesysNames { get; } =
        [Audit, ConversationDetail, Transcription, UserActivity, ConversationSummaryCallA, ConversationSummaryCallB];

    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Samples", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path(name));

    public static string Text(string name) => File.ReadAllText(Path(name), Encoding.UTF8);
}
