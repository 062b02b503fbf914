using GenesysDedup.Application;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GenesysDedup.Handlers.Http.Tests;

/// <summary>
/// The real engine as a host composes it for <c>Handler:Kind=http</c>: <c>AddGenesysDedup</c> + memory store +
/// <c>AddHttpForwardingHandler</c>, configured from in-memory settings, with a fake clock for the engine's own time.
/// The HTTP client's timeout is real time: that is the one thing the timeout test waits on.
/// </summary>
internal sealed class ForwardingEngine : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private ForwardingEngine(ServiceProvider services) => _services = services;

    public IServiceProvider Services => _services;

    /// <summary>An engine forwarding to <paramref name="url"/>, with any extra settings on top.</summary>
    public static ForwardingEngine Create(Uri url, IDictionary<string, string?>? settings = null) =>
        Create(new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Handler:Http:Url"] = url.ToString(),
        });

    /// <summary>An engine configured by exactly <paramref name="settings"/> (nothing is added for the handler).</summary>
    public static ForwardingEngine Create(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)));
        services.AddGenesysDedup(configuration)
            .UseMemoryStore()
            .AddHttpForwardingHandler();
        return new ForwardingEngine(services.BuildServiceProvider(validateScopes: true));
    }

    /// <summary>What a host does on start: runs every <c>ValidateOnStart</c> check.</summary>
    public void ValidateOnStart() => _services.GetRequiredService<IStartupValidator>().Validate();

    public async Task<DedupResult> SendAsync(byte[] body) =>
        await _services.GetRequiredService<IEventDeduplicator>().ProcessAsync(body);

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
