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

    /// <summary>The older tutorial shape with detail.event_id.</summary>
    public const string Tutorial = "tutorial.json";

    public static IReadOnlyList<string> GenesysNames { get; } = [Audit, ConversationDetail, Transcription, UserActivity];

    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Samples", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path(name));

    public static string Text(string name) => File.ReadAllText(Path(name), Encoding.UTF8);
}
