using System.Net.Http.Headers;
using BenchmarkDotNet.Attributes;
using GenesysDedup.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GenesysDedup.Benchmarks.Micro;

/// <summary>
/// The HTTP host's real pipeline (its Program, middleware, POST /events, memory store) in process through
/// <see cref="WebApplicationFactory{TEntryPoint}"/>'s TestServer: no sockets, so this is the host's own cost per request.
/// The baseline is <c>GET /health/live</c> through the same server: what ASP.NET and TestServer cost for a request
/// that does no dedup work.
/// </summary>
[Config(typeof(BenchConfig))]
[InvocationCount(Batch)]
public class HttpPipelineBenchmarks
{
    private const int Batch = 2048;
    private static readonly MediaTypeHeaderValue Json = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");

    private WebApplicationFactory<Program>? _factory;
    private HttpClient? _client;
    private byte[][] _fresh = [];
    private byte[] _republish = [];
    private int _next;
    private int _iteration;

    [GlobalSetup]
    public void Setup()
    {
        // The host's own folder as content root (its appsettings.json): WebApplicationFactory's solution-relative guess
        // assumes the project sits next to the .sln, and this host lives under hosts/.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_GENESYSDEDUP_HOSTS_HTTP", HostContentRoot());
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
            .UseSetting("Dedup:Store", "memory")
            .UseSetting("Logging:LogLevel:Default", "Warning"));
        _client = _factory.CreateClient();
        var original = Payloads.Get(Payloads.Small);
        using var first = Post(original).GetAwaiter().GetResult();
        first.EnsureSuccessStatusCode();
        _republish = EventBuilder.Republish(original);
    }

    [IterationSetup]
    public void FreshEvents()
    {
        _fresh = Payloads.Unique(Payloads.Get(Payloads.Small), Batch, $"http-{_iteration++}");
        _next = 0;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.Dispose();
        _factory?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task<int> HealthLive()
    {
        using var response = await _client!.GetAsync(new Uri("/health/live", UriKind.Relative));
        return (int)response.StatusCode;
    }

    [Benchmark]
    public async Task<int> PostNewEvent()
    {
        using var response = await Post(_fresh[_next++]);
        return (int)response.StatusCode;
    }

    [Benchmark]
    public async Task<int> PostDuplicateEvent()
    {
        using var response = await Post(_republish);
        return (int)response.StatusCode;
    }

    private static string HostContentRoot() =>
        RepositoryRoot.TryFind() is { } root ? Path.Combine(root, "hosts", "GenesysDedup.Hosts.Http") : AppContext.BaseDirectory;

    private Task<HttpResponseMessage> Post(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = Json;
        return _client!.PostAsync(new Uri("/events", UriKind.Relative), content);
    }
}
