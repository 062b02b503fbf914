using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// docs/dashboards/grafana.json imports as it is (its data source is an input) and every query names a series the
/// built host exports on /metrics once it has answered events: processed, duplicate and a lease lost.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    private static readonly string DashboardPath = Path.Combine(RepositoryRoot.Find(), "docs", "dashboards", "grafana.json");

    [Fact]
    public void Dashboard_IsImportReady_WithThePrometheusDataSourceAsAnInput()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var root = dashboard.RootElement;

        var input = Assert.Single(root.GetProperty("__inputs").EnumerateArray());
        Assert.Equal("DS_PROMETHEUS", input.GetProperty("name").GetString());
        Assert.Equal("prometheus", input.GetProperty("pluginId").GetString());
        var panels = root.GetProperty("panels").EnumerateArray().ToList();
        Assert.NotEmpty(panels);
        Assert.All(panels, panel => Assert.Equal("${DS_PROMETHEUS}", panel.GetProperty("datasource").GetProperty("uid").GetString()));
        Assert.All(panels, panel => Assert.NotEmpty(panel.GetProperty("targets").EnumerateArray()));
    }

    [Fact]
    public async Task Dashboard_EveryQuery_NamesASeriesTheHostExports()
    {
        await using var downstream = await CountingDownstream.StartAsync();
        await using var host = await RunningHost.StartAsync(new Dictionary<string, string>
        {
            ["Http__PublicMetrics"] = "true",
            ["Dedup__Lease"] = "00:00:01",
            ["Handler__Kind"] = "http",
            ["Handler__Http__Url"] = downstream.Url.AbsoluteUri,
            ["Handler__Http__Timeout"] = "00:01:00",
        });
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        var body = EventBuilder.Tutorial("evt-dashboard-lease");

        // A lease lost: the first delivery's handler is held past its 1 s lease, a redelivery takes the key over and
        // completes, then the first completes too late and is fenced off.
        var held = downstream.HoldNext("evt-dashboard-lease");
        var first = client.PostEventAsync(body);
        await held.Arrived;
        await LoopbackPort.WaitUntilAsync(
            async ct => await (await client.PostEventAsync(body)).OutcomeAsync() == "processed",
            TimeSpan.FromSeconds(60),
            () => "the redelivery to take over the lapsed lease");
        held.Release();
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        Assert.Equal("duplicate", await (await client.PostEventAsync(body)).OutcomeAsync());

        var exported = MetricNames(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        var queried = Queries().SelectMany(q => MetricName().Matches(q).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);

        Assert.Contains("genesys_dedup_lease_lost_total", exported); // the scrape is the one meant: the lease was lost
        Assert.Contains("genesys_dedup_store_duration_seconds_bucket", queried);
        Assert.All(queried, name => Assert.Contains(name, exported));
    }

    private static List<string> Queries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var root = dashboard.RootElement;
        var queries = root.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!)
            .ToList();
        queries.AddRange(root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("definition").GetString()!));
        return queries;
    }

    /// <summary>The series names of a Prometheus text exposition (<c>name{labels} value</c> or <c>name value</c>).</summary>
    private static HashSet<string> MetricNames(string exposition) => exposition
        .Split('\n')
        .Where(line => line.Length > 0 && line[0] != '#')
        .Select(line => line[..line.IndexOfAny(['{', ' '])])
        .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("genesys_dedup_[a-z_]+")]
    private static partial Regex MetricName();
}
