using System.Text.Json;
using GenesysDedup.Testing;

namespace GenesysDedup.Reliability;

/// <summary>
/// The downstream's deliveries grouped by the real event they carry — the marker in <c>detail.eventBody.id</c> (or a
/// tutorial event's <c>detail.event_id</c>), read from the delivered body, so the count does not depend on the
/// product's own key.
/// </summary>
internal sealed class Ledger
{
    private readonly Dictionary<string, List<Delivery>> _byMarker = new(StringComparer.Ordinal);

    public Ledger(IReadOnlyList<Delivery> deliveries)
    {
        Total = deliveries.Count;
        foreach (var delivery in deliveries)
        {
            var marker = MarkerOf(delivery.Body);
            if (marker is null)
            {
                Unattributed++;
                continue;
            }

            if (!_byMarker.TryGetValue(marker, out var list))
            {
                _byMarker[marker] = list = [];
            }

            list.Add(delivery);
        }

        foreach (var list in _byMarker.Values)
        {
            list.Sort((a, b) => a.ReceivedAt.CompareTo(b.ReceivedAt));
            KeyMismatches += list.Count(d => d.Key != list[0].Key);
        }
    }

    public int Total { get; }

    /// <summary>Deliveries without a marker: none in a run of ours.</summary>
    public int Unattributed { get; }

    public int KeyMismatches { get; }

    public IReadOnlyList<Delivery> Of(string marker) => _byMarker.TryGetValue(marker, out var list) ? list : [];

    /// <summary>
    /// Counts lost events and doubles into <paramref name="summary"/>; <paramref name="explain"/> says why a later
    /// delivery followed an earlier one (null when nothing does).
    /// </summary>
    public void Judge(IEnumerable<string> uniqueMarkers, ScenarioSummary summary, Func<string, Delivery, Delivery, string?> explain)
    {
        summary.DownstreamDeliveries = Total;
        summary.KeyMismatches = KeyMismatches;
        foreach (var marker in uniqueMarkers)
        {
            var deliveries = Of(marker);
            if (deliveries.Count == 0)
            {
                summary.EventsLost++;
                continue;
            }

            if (deliveries.Count == 1)
            {
                continue;
            }

            var explanations = deliveries.Zip(deliveries.Skip(1), (first, second) => explain(marker, first, second)).ToList();
            var explained = explanations.All(e => e is not null);
            if (explained)
            {
                summary.AtLeastOnceWindow++;
            }
            else
            {
                summary.ProcessedTwiceOutsideWindow++;
            }

            summary.Doubles.Add(new DoubleRecord(marker, deliveries[0].Key, [.. deliveries.Select(d => d.ReceivedAt)],
                explained ? string.Join("; ", explanations) : null));
        }

        if (Unattributed > 0)
        {
            summary.Failures.Add($"{Unattributed} downstream deliveries carried no marker");
        }
    }

    private static string? MarkerOf(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (detail.TryGetProperty("eventBody", out var eventBody) && eventBody.ValueKind == JsonValueKind.Object
                && eventBody.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                return id.GetString();
            }

            return detail.TryGetProperty("event_id", out var eventId) && eventId.ValueKind == JsonValueKind.String ? eventId.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
