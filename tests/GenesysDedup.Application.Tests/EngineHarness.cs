using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using GenesysDedup.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace GenesysDedup.Application.Tests;

/// <summary>The real engine (with the memory store) with a fake clock, a controllable handler and a switchable store fault.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private EngineHarness(ServiceProvider services, FakeTimeProvider clock, ControllableHandler handler, FaultyStore store)
    {
        _services = services;
        Clock = clock;
        Handler = handler;
        Store = store;
    }

    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    public FakeTimeProvider Clock { get; }

    public ControllableHandler Handler { get; }

    public FaultyStore Store { get; }

    public IServiceProvider Services => _services;

    public static EngineHarness Create(IDictionary<string, string?>? settings = null, MemoryDedupStore? sharedStore = null, FakeTimeProvider? clock = null, ILoggerProvider? logs = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Dedup:Lease"] = Lease.ToString(),
                ["Dedup:Retention"] = Retention.ToString(),
                // One fake clock that moves only when told: an in-progress answer at once, and leases lapse on time.
                // The tests of the wait and of the allowance set their own.
                ["Dedup:InProgressWait"] = "00:00:00",
                ["Dedup:ClockSkew"] = "00:00:00",
            })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        clock ??= new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        var handler = new ControllableHandler();
        var store = new FaultyStore(sharedStore ?? new MemoryDedupStore());

        var services = new ServiceCollection();
        services.AddLogging(l => l.AddProvider(logs ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerProvider.Instance));
        services.AddSingleton(configuration);
        services.AddSingleton<TimeProvider>(clock);
        services.AddGenesysDedup(configuration);
        services.AddSingleton<IDedupStore>(store);
        services.AddSingleton<IDedupHandler>(handler);
        return new EngineHarness(services.BuildServiceProvider(validateScopes: true), clock, handler, store);
    }

    public async Task<DedupResult> SendAsync(byte[] body, TimeSpan? lease = null) =>
        await _services.GetRequiredService<IEventDeduplicator>().ProcessAsync(body, new DeliveryInfo(lease));

    /// <summary>Sends <paramref name="body"/> with the handler's gate closed; returns once its run is held at the gate.</summary>
    public async Task<Task<DedupResult>> SendHeldAsync(byte[] body)
    {
        Handler.CloseGate();
        var held = SendAsync(body);
        await Handler.WaitForArrivalAsync();
        return held;
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
