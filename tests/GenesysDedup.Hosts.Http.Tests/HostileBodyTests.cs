using System.Net;
using CsCheck;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// Hostile bodies through the real host, each answered exactly as the parser and key resolver decide: an event whose
/// key resolves is processed once, then answered duplicate (same fingerprint) or conflict (another); anything else is
/// 400 invalid, runs nothing and leaves no record in the store.
/// </summary>
public sealed class HostileBodyTests : IDisposable
{
    private static readonly KeyResolver DefaultKeys = KeyResolver.FromNames(null);

    // The memory store, whose record count the test reads.
    private readonly DedupHostFactory _factory = new(new Dictionary<string, string?> { ["Dedup:Store"] = "memory" });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public void Post_HostileBodies_AreAnsweredAsTheParserAndKeyResolverDecide()
    {
        var client = _factory.CreateClient();
        var store = Assert.IsType<MemoryDedupStore>(_factory.Store.Inner);
        var processed = new Dictionary<string, string>(StringComparer.Ordinal); // stored key → fingerprint
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);

        // One sequence, not one case per sample: what a case expects depends on the cases before it.
        HostileInputs.Cases.Array[(int)Math.Min(HostileInputs.Iterations, 500)].Sample(
            cases =>
            {
                foreach (var hostile in cases)
                {
                    var body = HostileInputs.Build(hostile);
                    var (status, outcome) = Expect(body, processed);

                    using var response = client.PostEventAsync(body).GetAwaiter().GetResult();

                    // The case on both sides, so that a failure names the case to rebuild.
                    Assert.Equal((hostile, status, outcome), (hostile, response.StatusCode, response.OutcomeAsync().GetAwaiter().GetResult()));
                    Assert.Equal(processed.Count, store.Count);
                    Assert.Equal(processed.Count, _factory.Handler.TotalRuns);
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                }
            },
            seed: HostileInputs.Seed,
            iter: 1,
            threads: 1);

        // Refused, new and repeated events are all exercised, or the generator has gone blind.
        Assert.True(outcomes.ContainsKey("invalid") && outcomes.ContainsKey("processed") && outcomes.ContainsKey("duplicate"), string.Join(", ", outcomes));
    }

    /// <summary>The answer the host owes <paramref name="body"/>, from the parser and the default key sources.</summary>
    private static (HttpStatusCode Status, string Outcome) Expect(byte[] body, Dictionary<string, string> processed)
    {
        using var dedupEvent = EventParser.Parse(body).Event;
        if (dedupEvent is null || DefaultKeys.Resolve(dedupEvent).Key is not { } key)
        {
            return (HttpStatusCode.BadRequest, "invalid");
        }

        var stored = key.StoredForm(string.Empty);
        if (processed.TryAdd(stored, key.Fingerprint))
        {
            return (HttpStatusCode.OK, "processed");
        }

        return processed[stored] == key.Fingerprint ? (HttpStatusCode.OK, "duplicate") : (HttpStatusCode.UnprocessableEntity, "conflict");
    }
}
