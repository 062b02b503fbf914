using System.Globalization;
using GenesysDedup.Testing;

namespace GenesysDedup.Reliability;

/// <summary>
/// The events of a run: <c>unique</c> Genesys events, each with its own marker in <c>detail.eventBody.id</c>, and
/// Genesys re-publishes of some of them (new envelope id and time, other key order: the same event to GenesysDedup),
/// each placed a little after its original so that the two are often in flight together.
/// </summary>
internal sealed class EventStream
{
    private const int MaxRepublishDistance = 40;

    private EventStream(IReadOnlyList<StreamEvent> events, int unique)
    {
        Events = events;
        Unique = unique;
    }

    public IReadOnlyList<StreamEvent> Events { get; }

    public int Unique { get; }

    public int Duplicates => Events.Count - Unique;

    public static EventStream Create(int count, double duplicateFraction, Random random, string runId)
    {
        var duplicates = (int)Math.Round(count * duplicateFraction);
        var unique = count - duplicates;
        var originals = new List<(double Order, StreamEvent Event)>(count);
        for (var i = 0; i < unique; i++)
        {
            var marker = $"reliability-{runId}-{i.ToString("D5", CultureInfo.InvariantCulture)}";
            originals.Add((i, new StreamEvent(marker, EventBuilder.UniqueGenesysEvent(marker), IsRepublish: false)));
        }

        var all = new List<(double Order, StreamEvent Event)>(originals);
        for (var d = 0; d < duplicates; d++)
        {
            var (order, original) = originals[random.Next(unique)];
            var later = order + 0.5 + (random.NextDouble() * MaxRepublishDistance);
            all.Add((later, new StreamEvent(original.Marker, EventBuilder.Republish(original.Body), IsRepublish: true)));
        }

        return new EventStream([.. all.OrderBy(e => e.Order).Select(e => e.Event)], unique);
    }
}

/// <summary>One event of the stream: the marker of the real event it carries, and its bytes.</summary>
internal sealed record StreamEvent(string Marker, byte[] Body, bool IsRepublish);
