using CsCheck;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>Hostile bodies through the real host: every answer is 2xx or 4xx (never 5xx), and bad input runs nothing.</summary>
public sealed class HostileBodyTests : IDisposable
{
    private readonly DedupHostFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public void Post_HostileBodies_AreAnsweredWithout5xx()
    {
        var client = _factory.CreateClient();
        var statuses = new Dictionary<int, int>();

        HostileInputs.Cases.Sample(
            hostile =>
            {
                using var response = client.PostEventAsync(HostileInputs.Build(hostile)).GetAwaiter().GetResult();
                var status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                Assert.InRange(status, 200, 499);
            },
            seed: HostileInputs.Seed,
            iter: Math.Min(HostileInputs.Iterations, 500),
            threads: 1);

        Assert.True(statuses.ContainsKey(400), string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}")));
        Assert.True(statuses.ContainsKey(200), string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}")));
    }
}
